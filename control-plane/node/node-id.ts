import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isUuid } from "../../shared/schema/validate";

/** A node keeps its id across restarts, in `<prefix>/node.id` as Kong does. */
export function loadNodeId(prefix: string): string {
  const file = join(prefix, "node.id");
  try {
    const id = readFileSync(file, "utf8").trim();
    if (isUuid(id)) return id;
  } catch {
    // first start: make one below
  }
  const id = randomUUID();
  mkdirSync(prefix, { recursive: true });
  writeFileSync(file, `${id}\n`);
  return id;
}
