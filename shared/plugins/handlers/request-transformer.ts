import type { PluginHandler, PluginRequest } from "../runtime/types";
import { type BodyOps, bodyKind, hasBodyOps, transformForm, transformJson } from "./request-body-transform";

type Parts = { headers: string[]; querystring: string[]; body: string[] };
type Config = {
  http_method: string | null;
  remove: Parts;
  rename: Parts;
  replace: Parts & { uri: string | null };
  add: Parts;
  append: Parts;
};

/** What `$(...)` in a value may read, as in Kong's templates. */
type TemplateEnv = { headers: Headers; query: URLSearchParams; captures: Record<string, string> };

/**
 * Kong's templates for the common case: `$(headers.name)`, `$(headers["name"])`,
 * `$(query_params.name)`, `$(uri_captures.name)` (or `[n]`); an escaped `\\$` stays literal. Kong
 * runs any Lua expression there; Lintel refuses nothing but renders only these.
 */
function render(value: string, env: TemplateEnv): string {
  return value.replace(
    /(\\)?\$\(\s*(headers|query_params|uri_captures)(?:\.([\w-]+)|\[\s*["']?([^"'\]]+)["']?\s*\])\s*\)/g,
    (all, escaped, kind, dotted, indexed) => {
      if (escaped) return all.slice(1);
      const name = (dotted ?? indexed) as string;
      if (kind === "headers") return env.headers.get(name) ?? "";
      if (kind === "query_params") return env.query.get(name) ?? "";
      return env.captures[name] ?? "";
    },
  );
}

/** `name:value` entries (Kong splits at the first colon). */
function pairs(entries: string[], env: TemplateEnv): Array<[string, string]> {
  return entries.map((e) => {
    const at = e.indexOf(":");
    return at < 0 ? [e, ""] : [e.slice(0, at), render(e.slice(at + 1), env)];
  });
}

function transformHeaders(req: PluginRequest, conf: Config, env: TemplateEnv): void {
  const h = req.upstreamHeaders;
  for (const name of conf.remove.headers) h.delete(name);
  for (const [from, to] of pairs(conf.rename.headers, env)) {
    const v = h.get(from);
    if (v === null) continue;
    h.delete(from);
    h.set(to, v);
  }
  for (const [name, value] of pairs(conf.replace.headers, env))
    if (h.has(name) || name.toLowerCase() === "host") h.set(name, value);
  for (const [name, value] of pairs(conf.add.headers, env))
    if (!h.has(name) && name.toLowerCase() !== "host") h.set(name, value);
  for (const [name, value] of pairs(conf.append.headers, env)) h.append(name, value);
}

function transformQuery(req: PluginRequest, conf: Config, env: TemplateEnv): void {
  const q = req.query;
  for (const name of conf.remove.querystring) q.delete(name);
  for (const [from, to] of pairs(conf.rename.querystring, env)) {
    if (!q.has(from)) continue;
    const values = q.getAll(from);
    q.delete(from);
    for (const v of values) q.append(to, v);
  }
  for (const [name, value] of pairs(conf.replace.querystring, env)) if (q.has(name)) q.set(name, value);
  for (const [name, value] of pairs(conf.add.querystring, env)) if (!q.has(name)) q.set(name, value);
  for (const [name, value] of pairs(conf.append.querystring, env)) q.append(name, value);
}

/**
 * The body, for a JSON or form body and a config with body operations: the new body goes to the
 * service with its length. A multipart body is sent as it came.
 */
async function transformBody(req: PluginRequest, conf: Config, env: TemplateEnv): Promise<void> {
  const ops: BodyOps = {
    remove: conf.remove.body,
    rename: pairs(conf.rename.body, env),
    replace: pairs(conf.replace.body, env),
    add: pairs(conf.add.body, env),
    append: pairs(conf.append.body, env),
  };
  const kind = bodyKind(req.upstreamHeaders.get("content-type"));
  if ((kind !== "json" && kind !== "form") || !hasBodyOps(ops)) return;
  const raw = await req.body();
  const text = raw ? new TextDecoder().decode(raw) : "";
  const next = kind === "json" ? transformJson(text, ops) : transformForm(text, ops);
  if (next === undefined) return;
  const bytes = new TextEncoder().encode(next);
  req.upstreamBody = bytes.buffer as ArrayBuffer;
  req.upstreamHeaders.set("content-length", String(bytes.length));
}

/**
 * Kong's request-transformer for headers, the query string and JSON or form bodies: remove,
 * rename, replace, add and append in that order, values with Kong's `$(...)` templates;
 * `http_method` and `replace.uri`.
 */
export const requestTransformer: PluginHandler<Config> = {
  name: "request-transformer",
  priority: 801,
  async access(req, conf) {
    const env: TemplateEnv = {
      headers: req.headers,
      query: new URLSearchParams(req.query),
      captures: req.captures ?? {},
    };
    transformHeaders(req, conf, env);
    await transformBody(req, conf, env);
    transformQuery(req, conf, env);
    if (conf.http_method) req.upstreamMethod = conf.http_method;
    if (conf.replace.uri) req.upstreamPath = render(conf.replace.uri, env);
    return undefined;
  },
};
