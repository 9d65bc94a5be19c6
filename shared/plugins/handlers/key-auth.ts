import { orAnonymous, setConsumer } from "../runtime/authenticate";
import type {
  Consumer,
  Credential,
  Exit,
  Lookup,
  PluginEnvironment,
  PluginHandler,
  PluginRequest,
} from "../runtime/types";

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

/** The key the request carries, or Kong's refusal of duplicate keys. */
type Found = { key?: string; exit?: Exit };

/** Kong's key lookup: each key name in the headers, then the query, then the body. */
function findKey(req: PluginRequest, conf: KeyAuthConfig, from = 0): Found | Promise<Found> {
  for (let n = from; n < conf.key_names.length; n++) {
    const name = conf.key_names[n] as string;
    let v: unknown = conf.key_in_header ? req.headers.get(name) : null;
    if (v === null && conf.key_in_query) {
      const all = req.query.getAll(name);
      v = all.length > 1 ? all : (all[0] ?? null);
    }
    if (v === null && conf.key_in_body)
      return bodyValue(req, name).then((b) => found(req, conf, name, b) ?? findKey(req, conf, n + 1));
    const result = found(req, conf, name, v);
    if (result) return result;
  }
  return {};
}

/** What a key name's value means: a key, a refusal, or nothing (the next name is tried). */
function found(req: PluginRequest, conf: KeyAuthConfig, name: string, v: unknown): Found | undefined {
  if (Array.isArray(v)) return { exit: unauthorized("Duplicate API key found", conf) };
  if (typeof v !== "string") return undefined;
  if (conf.hide_credentials) {
    req.query.delete(name);
    req.upstreamHeaders.delete(name);
  }
  return { key: v };
}

/** The consumer of the key's credential, or Kong's refusal (or the anonymous consumer). */
function identify(
  req: PluginRequest,
  conf: KeyAuthConfig,
  env: PluginEnvironment,
  key: string | undefined,
): Lookup<Exit | undefined> {
  const credential = key ? env.consumers.keyAuth(key) : undefined;
  return credential instanceof Promise
    ? credential.then((c) => withCredential(req, conf, env, key, c))
    : withCredential(req, conf, env, key, credential);
}

function withCredential(
  req: PluginRequest,
  conf: KeyAuthConfig,
  env: PluginEnvironment,
  key: string | undefined,
  credential: Credential | undefined,
): Lookup<Exit | undefined> {
  const refuse = () =>
    orAnonymous(
      req,
      conf.anonymous,
      env,
      unauthorized(key ? "Unauthorized" : "No API key found in request", conf),
    );
  if (!credential) return refuse();
  const consumer = env.consumers.consumer(credential.consumer.id);
  const use = (c: Consumer | undefined) => {
    if (!c) return refuse();
    setConsumer(req, c, credential);
    return undefined;
  };
  return consumer instanceof Promise ? consumer.then(use) : use(consumer);
}

/**
 * Kong's key-auth: the key from a header, the query or the body, looked up in an index. A key in
 * a header or the query, found in the isolate's index, is answered at once.
 */
export const keyAuth: PluginHandler<KeyAuthConfig> = {
  name: "key-auth",
  priority: 1250,
  access(req, conf, env) {
    if (!conf.run_on_preflight && req.method === "OPTIONS") return undefined;
    // another authentication plugin already identified the client (Kong's logical OR)
    if (conf.anonymous && req.credential) return undefined;
    const key = findKey(req, conf);
    const go = (k: Found) => k.exit ?? identify(req, conf, env, k.key);
    return key instanceof Promise ? key.then(go) : go(key);
  },
};
