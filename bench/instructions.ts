import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LocalDp, type LocalDpOptions, startLocalDp } from "../cli/local-dp";

/*
 * Instructions per request: workerd run under valgrind's callgrind, which counts every instruction
 * the process runs. Unlike time, the count does not depend on what else the machine is doing: the
 * passes over the same Worker agree within a few per cent, where throughput on this shared machine
 * moves by a third from round to round (between two workerd processes, V8 compiles and collects at
 * other moments: the same DP's count has moved by up to 14 %). It counts the whole workerd process (the
 * runtime's own work, the Worker's JavaScript, its garbage collection), as CPU time does.
 */

export type Counted = {
  /** The Worker, served as `startLocalDp` serves it, each instruction counted. */
  dp: LocalDp;
  /**
   * Sends `requests` requests to `path` (200 expected), 8 at a time, and gives the instructions
   * workerd ran for them, per request: after `warm` requests that let V8 compile the hot code, the
   * counts of `passes` passes, each over `requests` requests.
   */
  perRequest(path: string, opts?: { requests?: number; warm?: number; passes?: number }): Promise<number[]>;
};

/** Whether valgrind's callgrind and its control program are on this machine. */
export function hasCallgrind(): boolean {
  try {
    execFileSync("valgrind", ["--version"], { stdio: "ignore" });
    execFileSync("callgrind_control", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const callgrind = (args: string[]) => execFileSync("callgrind_control", args, { stdio: "ignore" });

/** Starts a local DP (or another Worker served the same way) whose workerd runs under callgrind. */
export async function startCounted(opts: LocalDpOptions): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), "lintel-callgrind-"));
  const pids = join(dir, "pids");
  const names = ["LINTEL_WORKERD", "LINTEL_CALLGRIND_DIR", "LINTEL_CALLGRIND_PIDS", "MINIFLARE_WORKERD_PATH"];
  const before = names.map((n) => process.env[n]);
  process.env.LINTEL_WORKERD = createRequire(import.meta.url)("workerd").default as string;
  process.env.LINTEL_CALLGRIND_DIR = dir;
  process.env.LINTEL_CALLGRIND_PIDS = pids;
  process.env.MINIFLARE_WORKERD_PATH = fileURLToPath(new URL("./callgrind-workerd.sh", import.meta.url));
  let dp: LocalDp;
  try {
    dp = await startLocalDp(opts);
  } finally {
    names.forEach((n, i) => {
      const value = before[i];
      if (value === undefined) delete process.env[n];
      else process.env[n] = value;
    });
  }
  const pid = readFileSync(pids, "utf8").trim();
  const dumps = () => readdirSync(dir).filter((f) => f.startsWith(`callgrind.${pid}.`));
  const load = async (url: string, n: number) => {
    let left = n;
    let dropped = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (left-- > 0) {
          let res: Response;
          try {
            res = await fetch(url);
          } catch (e) {
            // workerd, slowed down a hundredfold, sometimes closes a kept-alive connection as the
            // next request goes out on it: that GET is sent again, on a new connection
            if (++dropped > 10) throw e;
            left++;
            continue;
          }
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
        }
      }),
    );
  };
  return {
    dp: {
      ...dp,
      close: async () => {
        await dp.close();
        rmSync(dir, { recursive: true, force: true });
      },
    },
    async perRequest(path, { requests = 400, warm = 1500, passes = 2 } = {}) {
      const url = `${dp.url}${path}`;
      await load(url, warm);
      const out: number[] = [];
      for (let pass = 0; pass < passes; pass++) {
        const seen = new Set(dumps());
        callgrind(["--zero", pid]);
        await load(url, requests);
        callgrind(["--dump", pid]);
        const dump = dumps().find((f) => !seen.has(f));
        if (!dump) throw new Error(`callgrind wrote no dump for workerd ${pid}`);
        const summary = /^summary: (\d+)$/m.exec(readFileSync(join(dir, dump), "utf8"))?.[1];
        if (summary === undefined) throw new Error(`no summary in callgrind's ${dump}`);
        out.push(Number(summary) / requests);
      }
      return out;
    },
  };
}

/** A Worker to count, and the paths to count on it. */
export type CountTarget = {
  options: LocalDpOptions;
  /** Waits until the Worker serves (a DP: until its config arrived). */
  ready?: (url: string) => Promise<void>;
  paths: Record<string, string>;
};

/** Each path's instructions per request (every pass), by the path's name; one Worker at a time. */
export async function countInstructions(
  targets: CountTarget[],
  opts: { requests: number; warm: number; passes: number; log: (m: string) => void },
): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const target of targets) {
    const counted = await startCounted({ ...target.options, directSocket: true });
    try {
      await target.ready?.(counted.dp.url);
      for (const [name, path] of Object.entries(target.paths)) {
        out[name] = await counted.perRequest(path, opts);
        opts.log(
          `  ${name}: ${out[name].map((n) => `${Math.round(n / 1000)}k`).join(", ")} instructions per request`,
        );
      }
    } finally {
      await counted.dp.close();
    }
  }
  return out;
}
