import type { Exit, PluginHandler, PluginRequest } from "../runtime/types";

type Config = {
  status_code: number;
  message: string | null;
  content_type: string | null;
  body: string | null;
  echo: boolean;
  trigger: string | null;
};

function entries(from: { forEach(f: (value: string, key: string) => void): void }): Record<string, string> {
  const out: Record<string, string> = {};
  from.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

/** Kong's default messages by status (kong/plugins/request-termination/handler.lua). */
const DEFAULT_RESPONSE: Record<number, string> = {
  401: "Unauthorized",
  404: "Not found",
  405: "Method not allowed",
  500: "An unexpected error occurred",
  502: "Bad Gateway",
  503: "Service unavailable",
};

/** Kong's `echo`: the request as the plugin saw it, body and all. */
async function echo(req: PluginRequest, status: number, message: string | undefined): Promise<Exit> {
  const raw = await req.body();
  return {
    status,
    json: {
      message,
      request: {
        scheme: req.scheme,
        headers: entries(req.headers),
        query: entries(req.query),
        raw_body: raw ? new TextDecoder().decode(raw) : "",
        method: req.method,
        path: req.path,
      },
      matched_route: req.routeId ? { id: req.routeId } : null,
      matched_service: req.serviceId ? { id: req.serviceId } : null,
    },
  };
}

/** Kong's request-termination: answers with the configured status and body, or echoes the request. */
export const requestTermination: PluginHandler<Config> = {
  name: "request-termination",
  priority: 2,
  access(req, conf) {
    if (conf.trigger && req.headers.get(conf.trigger) === null && !req.query.has(conf.trigger))
      return undefined;
    const message = conf.message ?? DEFAULT_RESPONSE[conf.status_code];
    if (conf.echo) return echo(req, conf.status_code, message);
    if (conf.body !== null && conf.body !== undefined) {
      return { status: conf.status_code, body: conf.body, contentType: conf.content_type ?? undefined };
    }
    return { status: conf.status_code, json: message === undefined ? undefined : { message } };
  },
};
