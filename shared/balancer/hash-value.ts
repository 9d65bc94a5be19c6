import type { UpstreamEntity } from "./balancer";

/** What a request offers to hash on. */
export type HashInputs = {
  consumerId?: string;
  credentialId?: string;
  ip: string;
  headers: { get(name: string): string | null };
  /** The normalised path (nginx's `$uri`). */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  captures?: Record<string, string>;
};

export type HashValue = {
  value: string;
  /** A `Set-Cookie` to send when the hashing cookie was missing and one was made. */
  setCookie?: string;
};

function cookie(headers: HashInputs["headers"], name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Kong's query argument for hashing: a flag is "true", repeated values sorted and joined by ",". */
function queryArg(query: string, name: string): string | undefined {
  const values: string[] = [];
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (key === name) values.push(eq < 0 ? "true" : decode(pair.slice(eq + 1)));
  }
  if (values.length === 0) return undefined;
  return values.sort().join(",");
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll("+", " "));
  } catch {
    return s;
  }
}

/**
 * Kong's `get_value_to_hash`: `hash_on`, then `hash_fallback`; the empty string when neither
 * gives a value. A missing hashing cookie is made (a UUID) and sent back with the response.
 */
export function valueToHash(u: UpstreamEntity, req: HashInputs, uuid: () => string): HashValue {
  const tries: Array<[string, "on" | "fallback"]> = [
    [u.hash_on, "on"],
    [u.hash_fallback, "fallback"],
  ];
  for (const [kind, which] of tries) {
    if (!kind || kind === "none") return { value: "" };
    let found: string | undefined;
    if (kind === "consumer") found = req.consumerId ?? req.credentialId;
    else if (kind === "ip") found = req.ip;
    else if (kind === "header") {
      const name = which === "on" ? u.hash_on_header : u.hash_fallback_header;
      found = name ? (req.headers.get(name) ?? undefined) : undefined;
    } else if (kind === "cookie") {
      const name = u.hash_on_cookie ?? "";
      found = cookie(req.headers, name);
      if (found === undefined) {
        const made = uuid();
        return {
          value: made,
          setCookie: `${name}=${made}; Path=${u.hash_on_cookie_path ?? "/"}; Same-Site=Lax; HttpOnly`,
        };
      }
    } else if (kind === "path") found = req.path;
    else if (kind === "query_arg") {
      const name = which === "on" ? u.hash_on_query_arg : u.hash_fallback_query_arg;
      found = name ? queryArg(req.query, name) : undefined;
    } else if (kind === "uri_capture") {
      const group = which === "on" ? u.hash_on_uri_capture : u.hash_fallback_uri_capture;
      found = group ? req.captures?.[group] : undefined;
    }
    if (found !== undefined) return { value: found };
  }
  return { value: "" };
}
