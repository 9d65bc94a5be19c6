import { rmSync } from "node:fs";
import { join } from "node:path";
import { startLocalDp } from "../cli/local-dp";
import { freePort } from "../tests/helpers/ports";

export type ColdStart = { routes: number; runs: number; firstMs: number[]; warmMs: number[] };

/**
 * A DP whose node has no state of its own and whose CP cannot be reached: its first request is
 * served from the KV cache (read, decrypted, verified, compiled, then proxied). Each run starts a
 * fresh workerd on the same KV, times the first request and then a warm one (the baseline, same
 * run, same path).
 */
export async function measureColdStart(opts: {
  dir: string;
  bindings: Record<string, string>;
  /** Fills the KV cache: a DP connected to the CP has served `path`. */
  warmUp: (dpUrl: string) => Promise<void>;
  path: string;
  routes: number;
  runs: number;
}): Promise<ColdStart> {
  const start = (bindings: Record<string, string>) =>
    freePort().then((port) =>
      startLocalDp({
        prefix: opts.dir,
        quiet: true,
        host: "127.0.0.1",
        port,
        bindings: { ...opts.bindings, ...bindings },
      }),
    );
  const filling = await start({});
  await opts.warmUp(filling.url);
  await filling.close();
  const firstMs: number[] = [];
  const warmMs: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    rmSync(join(opts.dir, "dp", "state"), { recursive: true, force: true });
    const dp = await start({ KONG_CLUSTER_CONTROL_PLANE: "ws://127.0.0.1:9" });
    const timed = async () => {
      const t = performance.now();
      const r = await fetch(`${dp.url}${opts.path}`);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`cold start: ${opts.path} answered ${r.status}`);
      return performance.now() - t;
    };
    firstMs.push(await timed());
    warmMs.push(await timed());
    await dp.close();
  }
  return { routes: opts.routes, runs: opts.runs, firstMs, warmMs };
}
