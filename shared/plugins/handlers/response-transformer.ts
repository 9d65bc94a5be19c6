import type { PluginHandler } from "../runtime/types";

type Typed = { json: string[]; headers: string[]; json_types?: string[] };
type Config = {
  remove: { json: string[]; headers: string[] };
  rename: { json: string[]; headers: string[] };
  replace: Typed;
  add: Typed;
  append: Typed;
};

/** `name:value` entries as Kong splits them (`^([^:]+):*(.-)$`); an empty value is none. */
function entries(list: string[]): Array<[number, string, string | undefined]> {
  return list.map((e, i) => {
    const m = /^([^:]+):*(.*)$/s.exec(e);
    const value = m?.[2];
    return [i, m?.[1] ?? e, value === "" ? undefined : value];
  });
}

function cast(value: string, type: string | undefined): unknown {
  if (type === "number") return Number(value);
  if (type === "boolean") return value === "true";
  return value;
}

const isJson = (type: string | null) => (type ?? "").toLowerCase().includes("application/json");
const hasJson = (conf: Config) =>
  [conf.remove.json, conf.rename.json, conf.replace.json, conf.add.json, conf.append.json].some(
    (l) => l.length > 0,
  );
const present = (v: unknown) => v !== undefined && v !== null && v !== false;

/** Kong's response-transformer: response headers, and the keys of a JSON body. */
export const responseTransformer: PluginHandler<Config> = {
  name: "response-transformer",
  priority: 800,
  headerFilter(_req, conf, headers) {
    for (const name of conf.remove.headers) headers.delete(name);
    for (const [, from, to] of entries(conf.rename.headers)) {
      const v = headers.get(from);
      if (v === null || !to) continue;
      headers.delete(from);
      headers.set(to, v);
    }
    for (const [, name, value] of entries(conf.replace.headers))
      if (value !== undefined && headers.has(name)) headers.set(name, value);
    for (const [, name, value] of entries(conf.add.headers))
      if (value !== undefined && !headers.has(name)) headers.set(name, value);
    for (const [, name, value] of entries(conf.append.headers))
      if (value !== undefined) headers.append(name, value);
    // the body is about to change: its length is no longer known
    if (hasJson(conf) && isJson(headers.get("content-type"))) headers.delete("content-length");
  },
  bodyFilter(_req, conf, body, headers) {
    if (!hasJson(conf) || !isJson(headers.get("content-type"))) return undefined;
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return undefined; // Kong: "failed parsing json body", the body passed on unchanged
    }
    if (typeof json !== "object" || json === null) return undefined;
    for (const name of conf.remove.json) delete json[name];
    for (const [, from, to] of entries(conf.rename.json)) {
      if (json[from] === undefined || !to) continue;
      json[to] = json[from];
      delete json[from];
    }
    for (const [i, name, value] of entries(conf.replace.json)) {
      if (value !== undefined && present(json[name])) json[name] = cast(value, conf.replace.json_types?.[i]);
    }
    for (const [i, name, value] of entries(conf.add.json)) {
      if (value !== undefined && !present(json[name])) json[name] = cast(value, conf.add.json_types?.[i]);
    }
    for (const [i, name, value] of entries(conf.append.json)) {
      if (value === undefined) continue;
      const v = cast(value, conf.append.json_types?.[i]);
      const current = json[name];
      json[name] =
        typeof current === "string" ? [current, v] : Array.isArray(current) ? [...current, v] : [v];
    }
    return JSON.stringify(json);
  },
};
