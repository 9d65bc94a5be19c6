import type { PluginHandler } from "../runtime/types";

type Config = {
  header_name: string;
  generator: "uuid" | "uuid#counter" | "tracker";
  echo_downstream: boolean;
};

/** Per isolate, as Kong's per worker: a UUID (made at first use: not at load) and a counter. */
const isolate = { uuid: "", counter: 0 };

function generate(kind: Config["generator"]): string {
  isolate.uuid ||= crypto.randomUUID();
  if (kind === "uuid") return crypto.randomUUID();
  if (kind === "uuid#counter") return `${isolate.uuid}#${++isolate.counter}`;
  // Kong's tracker is server address, port, pid, connection and time; at the edge, what is there
  return `${isolate.uuid}-${++isolate.counter}-${(Date.now() / 1000).toFixed(3)}`;
}

/** Kong's correlation-id: keeps the client's id or makes one, for the service and, if asked, the client. */
export const correlationId: PluginHandler<Config> = {
  name: "correlation-id",
  priority: 100001,
  access(req, conf) {
    let id = req.headers.get(conf.header_name);
    if (!id) {
      id = generate(conf.generator);
      req.upstreamHeaders.set(conf.header_name, id);
    }
    if (conf.echo_downstream) req.responseHeaders.set(conf.header_name, id);
    return undefined;
  },
};
