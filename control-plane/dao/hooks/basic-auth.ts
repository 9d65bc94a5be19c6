import { schemaViolation } from "../../../shared/schema/errors";
import { buf, toHex, utf8 } from "../../../shared/util/bytes";
import { err, ok } from "../../../shared/util/result";
import type { EntityHooks } from "../entity-dao";

/** Kong's basic-auth hash: hex SHA-1 of the password followed by the consumer's id. */
export async function basicAuthHash(password: string, consumerId: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-1", buf(utf8.encode(password + consumerId)))));
}

/**
 * Basic-auth passwords are stored and returned hashed, never in clear. A write that carries a
 * password hashes it; one that moves the credential to another consumer must carry the password,
 * since the hash depends on the consumer.
 */
export const basicAuthHooks: EntityHooks = {
  async beforeWrite(entity, { input, existing }) {
    const consumerId = (entity.consumer as { id: string }).id;
    if (typeof input.password === "string") {
      return ok({ ...entity, password: await basicAuthHash(input.password, consumerId) });
    }
    if (existing && (existing.consumer as { id: string }).id !== consumerId) {
      return err(
        schemaViolation({
          "@entity": ["all or none of these fields must be set: 'password', 'consumer.id'"],
        }),
      );
    }
    return ok(entity);
  },
};
