import { streamOf, utf8 } from "../util/bytes";

/**
 * The entity types of a snapshot's cold section: consumers and what belongs to them. In a large
 * config they are most of the entities but a request needs only the few it names, so a data plane
 * may keep them in its node's storage and look them up rather than hold them in every isolate.
 */
export const COLD_TYPES = [
  "consumers",
  "keyauth_credentials",
  "basicauth_credentials",
  "jwt_secrets",
  "acls",
] as const;

export type ColdType = (typeof COLD_TYPES)[number];
const COLD = new Set<string>(COLD_TYPES);

export const isColdType = (type: string): type is ColdType => COLD.has(type);

/** A config split into its hot part and its cold entities, one JSON line (`[type, entity]`) each. */
export function splitCold(config: Record<string, unknown>): {
  hot: Record<string, unknown>;
  lines: string[];
} {
  const hot: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [type, value] of Object.entries(config)) {
    if (!isColdType(type) || !Array.isArray(value)) {
      hot[type] = value;
      continue;
    }
    for (const entity of value) lines.push(JSON.stringify([type, entity]));
  }
  return { hot, lines };
}

/**
 * Reads a cold section (gzip of `[type, entity]` lines) as a stream, one entity at a time, so that
 * a reader indexing them never holds the whole section; at most `limit` bytes are inflated.
 * Returns how many entities were read, or an error.
 */
export async function readCold(
  gz: Uint8Array | readonly Uint8Array[],
  limit: number,
  each: (type: ColdType, entity: Record<string, unknown>) => void | Promise<void>,
): Promise<{ entities: number } | { error: string }> {
  const reader = streamOf(gz)
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let rest: string[] = [];
  let total = 0;
  let entities = 0;
  const line = async (text: string): Promise<string | undefined> => {
    if (text === "") return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return "a cold entity is not JSON";
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== "string" || !isColdType(parsed[0]))
      return "a cold entity has no known type";
    const entity = parsed[1];
    if (typeof entity !== "object" || entity === null || Array.isArray(entity))
      return "a cold entity is not an object";
    entities++;
    await each(parsed[0], entity as Record<string, unknown>);
    return undefined;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        return { error: `the cold section inflates past ${limit} characters` };
      }
      // a line's start is kept in pieces until its end comes: a long line is joined once, not
      // once for every piece of it
      if (!value.includes("\n")) {
        rest.push(value);
        continue;
      }
      const parts = value.split("\n");
      parts[0] = rest.join("") + parts[0];
      rest = [parts.pop() ?? ""];
      for (const p of parts) {
        const problem = await line(p);
        if (problem) {
          await reader.cancel();
          return { error: problem };
        }
      }
    }
  } catch (e) {
    return { error: `gzip: ${e instanceof Error ? e.message : e}` };
  }
  const problem = await line(rest.join(""));
  return problem ? { error: problem } : { entities };
}

/** The lines as the bytes to gzip. */
export const coldBytes = (lines: string[]) => utf8.encode(lines.length ? `${lines.join("\n")}\n` : "");
