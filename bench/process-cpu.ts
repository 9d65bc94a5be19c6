import { readdirSync, readFileSync } from "node:fs";

/*
 * The CPU time a workerd process has used, read from Linux's /proc: what a request costs the
 * runtime itself, not the client or the upstream that share the machine, and what the edge bills.
 * On a shared machine it still moves from round to round about as much as throughput does.
 */

/** Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

const fieldsOf = (pid: number): string[] | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // [comm, then the fields after "pid (comm) ": state (the 3rd), ppid, ...]: utime, the 14th
    // field, is at 12 and stime at 13
    return [/\((.*)\)/s.exec(stat)?.[1] ?? "", ...stat.slice(stat.lastIndexOf(")") + 2).split(" ")];
  } catch {
    return undefined;
  }
};

/** workerd processes this process started. */
function childWorkerds(): Set<number> {
  const out = new Set<number>();
  if (process.platform !== "linux") return out;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = fieldsOf(Number(entry));
    if (f?.[0] === "workerd" && Number(f[2]) === process.pid) out.add(Number(entry));
  }
  return out;
}

/**
 * Runs `start` (which starts one workerd) and returns what it returned with a reader of that
 * workerd's CPU time in µs; the reader is undefined where /proc cannot tell (not Linux).
 */
export async function withWorkerdCpu<T>(start: () => Promise<T>): Promise<[T, (() => number) | undefined]> {
  const before = childWorkerds();
  const started = await start();
  const pids = [...childWorkerds()].filter((p) => !before.has(p));
  const pid = pids.length === 1 ? pids[0] : undefined;
  if (pid === undefined) return [started, undefined];
  return [
    started,
    () => {
      const f = fieldsOf(pid);
      return f ? ((Number(f[12]) + Number(f[13])) * 1_000_000) / TICKS_PER_SECOND : Number.NaN;
    },
  ];
}
