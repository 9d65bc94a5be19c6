import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../bin/lintel.mjs");

export type LintelProcess = {
  proc: ChildProcess;
  /** stdout and stderr as they came. */
  output(): string;
  /** stderr alone: what the process reported as errors. */
  errors(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ctrl-C, then the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
};

/** Runs `lintel ARGS` as a user would, in its own process. */
export function spawnLintel(args: string[], env: Record<string, string>, cwd?: string): LintelProcess {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  let err = "";
  proc.stderr?.on("data", (d) => {
    out += d;
    err += d;
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    output: () => out,
    errors: () => err,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      waitFor(
        `${pattern} in the output of lintel ${args.join(" ")}`,
        () => {
          const m = out.match(pattern);
          if (m) return m;
          if (proc.exitCode !== null) throw new Error(`lintel exited with ${proc.exitCode}:\n${out}`);
          return undefined;
        },
        { timeoutMs },
      ),
    async stop(timeoutMs = 15_000) {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGINT");
      const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
