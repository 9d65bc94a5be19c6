/**
 * Keeps the process up until Ctrl-C (SIGINT) or SIGTERM, then closes everything in reverse order;
 * SIGHUP calls `onHangup` (a control plane reloads its certificates).
 */
export function runUntilSignal(
  closers: Array<() => Promise<void>>,
  onHangup?: () => Promise<void>,
): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        console.error("Forced exit");
        process.exit(130);
      }
      stopping = true;
      console.error(`\n${signal} received, stopping...`);
      for (const close of [...closers].reverse()) {
        try {
          await close();
        } catch (e) {
          console.error(`while stopping: ${e instanceof Error ? e.message : e}`);
        }
      }
      console.error("Stopped");
      resolve(0);
    };
    // Miniflare's own handlers would exit at once, before the database is closed; the closers below
    // dispose of workerd themselves.
    process.removeAllListeners("SIGINT");
    process.removeAllListeners("SIGTERM");
    process.on("SIGINT", () => void stop("SIGINT"));
    process.on("SIGTERM", () => void stop("SIGTERM"));
    if (onHangup) {
      process.on("SIGHUP", () => {
        onHangup().catch((e) =>
          console.error(
            `reload failed, keeping the running configuration: ${e instanceof Error ? e.message : e}`,
          ),
        );
      });
    }
  });
}
