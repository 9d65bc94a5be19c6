import { execFile } from "node:child_process";
import { promisify } from "node:util";

export type LoadResult = {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  client: string;
  /** Requests answered (200 or not) in the run. */
  requests: number;
  /** Requests per second of every round, in order (`compare`). */
  rounds?: number[];
  /** The server process's CPU µs per request, when it can be read; median round (`compare`). */
  cpuPerRequest?: number;
  /** The same, every round in order. */
  cpuRounds?: number[];
};

/**
 * A target's throughput against a baseline's, round by round (each round measures both, one soon
 * after the other, so a slow spell of a shared machine weighs on both): the median of the rounds'
 * ratios.
 */
export function pairedRatio(target: LoadResult, baseline: LoadResult): number {
  const a = target.rounds ?? [target.rps];
  const b = baseline.rounds ?? [baseline.rps];
  return median(a.map((rps, i) => rps / (b[i] ?? baseline.rps)));
}

/** The baseline's CPU per request against a target's, round by round: the median ratio. */
export function pairedCpuRatio(target: LoadResult, baseline: LoadResult): number {
  const a = target.cpuRounds ?? [];
  const b = baseline.cpuRounds ?? [];
  return median(a.map((cpu, i) => (b[i] ?? Number.NaN) / cpu));
}

const run = promisify(execFile);

async function hasWrk(): Promise<boolean> {
  try {
    await run("wrk", ["--version"]);
    return true;
  } catch (e) {
    // wrk prints its version and exits 1
    return (
      typeof (e as { stdout?: string }).stdout === "string" &&
      (e as { stdout: string }).stdout.includes("wrk")
    );
  }
}

const WRK_LATENCY = /^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$/gm;
const UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** wrk, when installed, as a separate process: the client then costs the server side nothing. */
async function wrk(url: string, concurrency: number, ms: number): Promise<LoadResult> {
  const { stdout } = await run("wrk", [
    "-t2",
    `-c${concurrency}`,
    `-d${Math.round(ms / 1000)}s`,
    "--latency",
    url,
  ]);
  const q: Record<string, number> = {};
  for (const m of stdout.matchAll(WRK_LATENCY)) q[m[1] ?? ""] = Number(m[2]) * (UNIT[m[3] ?? "ms"] ?? 1);
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  return {
    requests: Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    p50: q["50"] ?? Number.NaN,
    p99: q["99"] ?? Number.NaN,
    errors,
    client: "wrk",
  };
}

/** Node's fetch in this process, for machines without wrk. */
async function nodeClient(url: string, concurrency: number, ms: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const r = await fetch(url);
          await r.arrayBuffer();
          if (r.status !== 200) errors++;
          else latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return {
    requests: latencies.length + errors,
    rps: (latencies.length / ms) * 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
    client: "node fetch",
  };
}

/**
 * Measures each target in turn, `rounds` times, interleaved so that a noisy neighbour hits every
 * target alike, each round starting one target further on (no target always first after the
 * others' load); reports each target's median round.
 */
export async function compare(
  targets: Record<string, string>,
  opts: {
    concurrency: number;
    ms: number;
    rounds: number;
    /** Readers of the CPU µs used so far by the process serving a target, by target. */
    cpu?: Record<string, (() => number) | undefined>;
  },
): Promise<Record<string, LoadResult>> {
  const client = (await hasWrk()) ? wrk : nodeClient;
  const results: Record<string, LoadResult[]> = {};
  const entries = Object.entries(targets);
  for (let round = 0; round < opts.rounds; round++) {
    const order = [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)];
    for (const [name, url] of order) {
      const cpu = opts.cpu?.[name];
      const cpuBefore = cpu?.();
      const r = await client(url, opts.concurrency, opts.ms);
      if (cpu && cpuBefore !== undefined && r.requests > 0)
        r.cpuPerRequest = (cpu() - cpuBefore) / r.requests;
      results[name] = [...(results[name] ?? []), r];
    }
  }
  const out: Record<string, LoadResult> = {};
  for (const [name, rs] of Object.entries(results)) {
    const sorted = [...rs].sort((a, b) => a.rps - b.rps);
    const cpuRounds = rs.flatMap((r) => (r.cpuPerRequest === undefined ? [] : [r.cpuPerRequest]));
    out[name] = {
      ...(sorted[Math.floor(sorted.length / 2)] as LoadResult),
      rounds: rs.map((r) => r.rps),
      ...(cpuRounds.length === rs.length ? { cpuPerRequest: median(cpuRounds), cpuRounds } : {}),
    };
  }
  return out;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}

export const median = (xs: number[]) => percentile(xs, 0.5);
