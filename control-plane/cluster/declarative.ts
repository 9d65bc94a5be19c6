import { type DeclarativeError, type ParsedConfig, parseDeclarative } from "../../shared/declarative/parse";
import { type KongError, luaPretty } from "../../shared/schema/errors";
import { err, ok, type Result } from "../../shared/util/result";
import { type Daos, ENTITY_NAMES } from "../dao";
import { bumpConfigVersion } from "../dao/config-version";
import { PG_UNIQUE_VIOLATION, pgError } from "../dao/db-errors";
import type { Db } from "../db/client";

/** Kong's "invalid declarative configuration" (code 14), with the errors where the input had them. */
export function declarativeError(
  e: DeclarativeError,
  flatten: boolean,
): KongError & { flattened_errors?: unknown } {
  const body: KongError & { flattened_errors?: unknown } = {
    code: 14,
    name: "invalid declarative configuration",
    message: `declarative config is invalid: ${luaPretty(e.fields)}`,
    fields: e.fields,
  };
  if (flatten) body.flattened_errors = e.flattened;
  return body;
}

class Abort extends Error {
  constructor(readonly kong: KongError) {
    super(kong.message);
  }
}

/**
 * Replaces the whole configuration with a parsed declarative config, in one transaction: a config
 * that fails anywhere changes nothing. Returns the entities as stored.
 */
export async function applyDeclarative(
  db: Db,
  daos: Daos,
  parsed: ParsedConfig,
): Promise<Result<Record<string, Array<Record<string, unknown>>>, KongError>> {
  let stored: Record<string, Array<Record<string, unknown>>>;
  try {
    stored = await db.transaction(async (tx) => {
      for (const name of [...ENTITY_NAMES].reverse()) await daos[name].deleteAll(tx);
      const out: Record<string, Array<Record<string, unknown>>> = {};
      for (const name of ENTITY_NAMES) {
        const list = parsed.entities[name];
        if (!list?.length) continue;
        // with `_transform: false` secrets arrive as Kong stored them (basic-auth hashes); the plugin
        // protocol check reads routes outside this transaction, so it is not run on a whole config
        const hooks = name !== "plugins" && (parsed.transform || name !== "basicauth_credentials");
        let written: Result<Array<Record<string, unknown>>, KongError>;
        try {
          written = await daos[name].insertValidated(tx, list, hooks);
        } catch (e) {
          // a clash the file itself holds (two plugins of one name and scope, one ACL group twice):
          // Kong's code 14, naming the entity type and the clashing key
          const pg = pgError(e);
          if (pg?.code === PG_UNIQUE_VIOLATION) {
            const reason = `uniqueness violation: ${pg.detail ?? pg.message}`;
            throw new Abort(declarativeError({ fields: { [name]: reason }, flattened: [] }, false));
          }
          const mapped = daos[name].kongErrorFor(e, {});
          if (mapped) throw new Abort({ ...mapped, message: `${name}: ${mapped.message}` });
          throw e;
        }
        if (!written.ok) throw new Abort(written.error);
        out[name] = written.value;
      }
      await bumpConfigVersion(tx);
      return out;
    });
  } catch (e) {
    if (e instanceof Abort) return err(e.kong);
    throw e;
  }
  daos.services.committed();
  return ok(stored);
}

/** Parses and applies a declarative config; the error is ready to send. */
export async function importDeclarative(
  db: Db,
  daos: Daos,
  input: unknown,
  opts: { flatten?: boolean } = {},
): Promise<Result<Record<string, Array<Record<string, unknown>>>, KongError>> {
  const parsed = parseDeclarative(input);
  if (!parsed.ok) return err(declarativeError(parsed.error, opts.flatten ?? false));
  return applyDeclarative(db, daos, parsed.value);
}
