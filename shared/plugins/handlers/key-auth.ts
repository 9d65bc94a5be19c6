import type { Consumer, Credential, Exit, PluginHandler, PluginRequest } from "../runtime/types";

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

/** Kong's consumer headers for the service (kong/plugins/key-auth/handler.lua `set_consumer`). */
export function setConsumer(
  req: PluginRequest,
  consumer: Consumer,
  credential: Credential | undefined,
): void {
  req.consumer = consumer;
  req.credential = credential;
  const h = req.upstreamHeaders;
  const set = (name: string, value: string | null | undefined) =>
    value ? h.set(name, value) : h.delete(name);
  set("x-consumer-id", consumer.id);
  set("x-consumer-custom-id", consumer.custom_id);
  set("x-consumer-username", consumer.username);
  set("x-credential-identifier", credential?.id);
  if (credential) h.delete("x-anonymous-consumer");
  else h.set("x-anonymous-consumer", "true");
}

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
    const credential = key ? env.consumers.keyAuth(key) : undefined;
    const consumer = credential ? env.consumers.consumer(credential.consumer.id) : undefined;
    if (credential && consumer) {
      setConsumer(req, consumer, credential);
      return undefined;
    }
    if (conf.anonymous) {
      const anonymous = env.consumers.consumer(conf.anonymous);
      if (!anonymous) {
        return {
          status: 500,
          message: `anonymous consumer ${conf.anonymous} is configured but doesn't exist`,
        };
      }
      setConsumer(req, anonymous, undefined);
      return undefined;
    }
    return unauthorized(key ? "Unauthorized" : "No API key found in request", conf);
  },
};
