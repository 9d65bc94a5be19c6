import { orAnonymous, setConsumer } from "../runtime/authenticate";
import type { Exit, PluginHandler, PluginRequest } from "../runtime/types";

type KeyAuthConfig = {
  key_names: string[];
  hide_credentials: boolean;
  anonymous: string | null;
  key_in_header: boolean;
  key_in_query: boolean;
  key_in_body: boolean;
  run_on_preflight: boolean;
  realm: string | null;
};

async function bodyValue(req: PluginRequest, name: string): Promise<unknown> {
  const bytes = await req.body();
  if (!bytes) return undefined;
  const type = req.headers.get("content-type") ?? "";
  const text = new TextDecoder().decode(bytes);
  try {
    if (type.includes("application/json")) return (JSON.parse(text) as Record<string, unknown>)[name];
    if (type.includes("application/x-www-form-urlencoded")) {
      const all = new URLSearchParams(text).getAll(name);
      return all.length > 1 ? all : all[0];
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const unauthorized = (message: string, conf: KeyAuthConfig): Exit => ({
  status: 401,
  message,
  headers: { "www-authenticate": conf.realm ? `Key realm="${conf.realm}"` : "Key" },
});

/** Kong's key-auth: the key from a header, the query or the body, looked up in an index. */
export const keyAuth: PluginHandler<KeyAuthConfig> = {
  name: "key-auth",
  priority: 1250,
  async access(req, conf, env) {
    if (!conf.run_on_preflight && req.method === "OPTIONS") return undefined;
    // another authentication plugin already identified the client (Kong's logical OR)
    if (conf.anonymous && req.credential) return undefined;
    let key: string | undefined;
    for (const name of conf.key_names) {
      let v: unknown = conf.key_in_header ? req.headers.get(name) : null;
      if (v === null && conf.key_in_query) {
        const all = req.query.getAll(name);
        v = all.length > 1 ? all : (all[0] ?? null);
      }
      if ((v === null || v === undefined) && conf.key_in_body) v = await bodyValue(req, name);
      if (Array.isArray(v)) return unauthorized("Duplicate API key found", conf);
      if (typeof v === "string") {
        key = v;
        if (conf.hide_credentials) {
          req.query.delete(name);
          req.upstreamHeaders.delete(name);
        }
        break;
      }
    }
    const credential = key ? await env.consumers.keyAuth(key) : undefined;
    const consumer = credential ? await env.consumers.consumer(credential.consumer.id) : undefined;
    if (credential && consumer) {
      setConsumer(req, consumer, credential);
      return undefined;
    }
    return orAnonymous(
      req,
      conf.anonymous,
      env,
      unauthorized(key ? "Unauthorized" : "No API key found in request", conf),
    );
  },
};
