import type { HttpLogConfig, LogSink } from "../shared/plugins/handlers/http-log";

type Batch = {
  conf: HttpLogConfig;
  entries: unknown[];
  timer?: ReturnType<typeof setTimeout>;
  /** Ends the wait of the request that started the timer (its waitUntil). */
  release?: () => void;
};

/**
 * Kong's plugin queue for http-log, per isolate: entries are gathered per endpoint up to
 * `queue.max_batch_size` or for `queue.max_coalescing_delay` seconds, then sent (one entry as a
 * JSON object, more as an array) and retried with back-off for `queue.max_retry_time` seconds.
 * Sending runs in `waitUntil`, never on the request path; beyond `queue.max_entries` waiting
 * entries, new ones are dropped, as Kong drops them.
 */
export class LogQueue implements LogSink {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly waitUntil: (p: Promise<unknown>) => void) {}

  /** The request's own waitUntil, so that a flush it starts may finish. */
  withContext(waitUntil: (p: Promise<unknown>) => void): LogSink {
    return { push: (conf, entry) => this.add(conf, entry, waitUntil) };
  }

  push(conf: HttpLogConfig, entry: unknown): void {
    this.add(conf, entry, this.waitUntil);
  }

  private add(conf: HttpLogConfig, entry: unknown, waitUntil: (p: Promise<unknown>) => void): void {
    const key = `${conf.method} ${conf.http_endpoint} ${JSON.stringify(conf.headers ?? {})}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { conf, entries: [] };
      this.batches.set(key, batch);
    }
    batch.conf = conf; // a new config's queue settings apply from now on
    if (batch.entries.length >= conf.queue.max_entries) {
      console.error(`[lintel] http-log: queue for ${conf.http_endpoint} is full; entry dropped`);
      return;
    }
    batch.entries.push(entry);
    const full = batch.entries.length >= conf.queue.max_batch_size;
    if (full || conf.queue.max_coalescing_delay <= 0) {
      waitUntil(this.flush(key));
    } else if (!batch.timer) {
      const waiting = batch;
      waitUntil(
        new Promise<void>((resolve) => {
          waiting.release = resolve;
          waiting.timer = setTimeout(() => {
            void this.flush(key).finally(resolve);
          }, conf.queue.max_coalescing_delay * 1000);
        }),
      );
    }
  }

  private async flush(key: string): Promise<void> {
    const batch = this.batches.get(key);
    if (!batch || batch.entries.length === 0) return;
    clearTimeout(batch.timer);
    batch.timer = undefined;
    batch.release?.();
    batch.release = undefined;
    const { conf } = batch;
    const entries = batch.entries.splice(0, conf.queue.max_batch_size);
    const body = JSON.stringify(conf.queue.max_batch_size === 1 ? entries[0] : entries);
    const started = Date.now();
    let delay = conf.queue.initial_retry_delay * 1000;
    for (;;) {
      try {
        const res = await fetch(conf.http_endpoint, {
          method: conf.method,
          headers: { "content-type": conf.content_type, ...(conf.headers ?? {}) },
          body,
          signal: AbortSignal.timeout(conf.timeout),
        });
        await res.body?.cancel();
        if (res.ok) break;
        throw new Error(`${conf.http_endpoint} answered ${res.status}`);
      } catch (e) {
        if (Date.now() - started + delay > conf.queue.max_retry_time * 1000) {
          console.error(
            `[lintel] http-log: giving up on ${entries.length} entries: ${e instanceof Error ? e.message : e}`,
          );
          break;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, conf.queue.max_retry_delay * 1000);
      }
    }
    if (batch.entries.length > 0) await this.flush(key);
  }
}
