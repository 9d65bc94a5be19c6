import type { PluginHandler } from "../runtime/types";

export type HttpLogConfig = {
  http_endpoint: string;
  method: "POST" | "PUT" | "PATCH";
  content_type: string;
  timeout: number;
  headers: Record<string, string> | null;
  queue: {
    max_batch_size: number;
    max_coalescing_delay: number;
    max_entries: number;
    max_retry_time: number;
    initial_retry_delay: number;
    max_retry_delay: number;
  };
};

/** Where log entries go: a queue that sends them in batches, off the request path. */
export interface LogSink {
  push(conf: HttpLogConfig, entry: unknown): void;
}

/** Kong's http-log: each request's log entry (Kong's serializer) sent to `http_endpoint`. */
export const httpLog: PluginHandler<HttpLogConfig> = {
  name: "http-log",
  priority: 12,
  log(_req, conf, entry, env) {
    env.logs.push(conf, entry);
  },
};
