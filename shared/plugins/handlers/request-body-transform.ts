/** request-transformer's body operations (Kong's transform_json_body / transform_url_encoded_body). */

export type BodyOps = {
  remove: string[];
  rename: Array<[string, string]>;
  replace: Array<[string, string]>;
  add: Array<[string, string]>;
  append: Array<[string, string]>;
};

export const hasBodyOps = (ops: BodyOps) =>
  ops.remove.length + ops.rename.length + ops.replace.length + ops.add.length + ops.append.length > 0;

/** Which of Kong's body kinds a Content-Type names. */
export function bodyKind(contentType: string | null): "json" | "form" | "multipart" | undefined {
  const t = contentType?.toLowerCase();
  if (!t) return undefined;
  if (t.includes("application/json")) return "json";
  if (t.includes("multipart/form-data")) return "multipart";
  if (t.includes("application/x-www-form-urlencoded")) return "form";
  return undefined;
}

/** Lua's truthiness of a decoded JSON value: absent and `false` are not there. */
const present = (v: unknown) => v !== undefined && v !== false;

/**
 * A JSON object body transformed in Kong's order (remove, rename and replace only when the client
 * sent a body; add and append always), values as strings. Undefined when nothing changed or the
 * body is not a JSON object (Kong then sends it as it came).
 */
export function transformJson(body: string, ops: BodyOps): string | undefined {
  let params: Record<string, unknown>;
  if (body.length === 0) params = {};
  else {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
      params = parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  let changed = false;
  if (body.length > 0) {
    for (const name of ops.remove) {
      delete params[name];
      changed = true;
    }
    for (const [from, to] of ops.rename) {
      if (!present(params[from])) continue;
      params[to] = params[from];
      delete params[from];
      changed = true;
    }
    for (const [name, value] of ops.replace) {
      if (!present(params[name])) continue;
      params[name] = value;
      changed = true;
    }
  }
  for (const [name, value] of ops.add) {
    if (present(params[name])) continue;
    params[name] = value;
    changed = true;
  }
  for (const [name, value] of ops.append) {
    const old = params[name];
    params[name] = Array.isArray(old) ? [...old, value] : typeof old === "string" ? [old, value] : [value];
    changed = true;
  }
  return changed ? JSON.stringify(params) : undefined;
}

/** An `application/x-www-form-urlencoded` body transformed in Kong's order. */
export function transformForm(body: string, ops: BodyOps): string | undefined {
  const params = new URLSearchParams(body);
  let changed = false;
  if (body.length > 0) {
    for (const name of ops.remove) {
      params.delete(name);
      changed = true;
    }
    for (const [from, to] of ops.rename) {
      if (!params.has(from)) continue;
      const values = params.getAll(from);
      params.delete(from);
      for (const v of values) params.append(to, v);
      changed = true;
    }
    for (const [name, value] of ops.replace) {
      if (!params.has(name)) continue;
      params.set(name, value);
      changed = true;
    }
  }
  for (const [name, value] of ops.add) {
    if (params.has(name)) continue;
    params.set(name, value);
    changed = true;
  }
  for (const [name, value] of ops.append) {
    params.append(name, value);
    changed = true;
  }
  return changed ? params.toString() : undefined;
}
