import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Makes every workerd that Miniflare starts from now on in this process give each of its isolates
 * a V8 heap of at most `mib` MiB, as Workers have at the edge (workerd alone sets none). An
 * isolate that needs more ends workerd. Vitest runs each test file in a process of its own.
 * Returns the function that undoes it, for the workerd processes started after.
 */
export function limitWorkerdHeap(mib: number): () => void {
  const names = ["LINTEL_WORKERD", "LINTEL_WORKERD_V8_FLAGS", "MINIFLARE_WORKERD_PATH"] as const;
  const before = names.map((n) => process.env[n]);
  process.env.LINTEL_WORKERD = createRequire(import.meta.url)("workerd").default as string;
  process.env.LINTEL_WORKERD_V8_FLAGS = `--max-heap-size=${mib}`;
  process.env.MINIFLARE_WORKERD_PATH = fileURLToPath(new URL("./workerd-v8-flags.sh", import.meta.url));
  return () =>
    names.forEach((n, i) => {
      const value = before[i];
      if (value === undefined) delete process.env[n];
      else process.env[n] = value;
    });
}
