/**
 * Kong's request path handling (kong/tools/uri.lua). Paths are handled as byte strings (one char a
 * byte, as in Lua): percent-decoding can produce any byte, and `escapePath` encodes them again.
 */

const RESERVED = new Set("!*'();:@&=+$,/?%#[]".split("").map((c) => c.charCodeAt(0)));

/**
 * Decodes percent-encoded characters that are not reserved, removes dot segments and (when
 * `mergeSlashes`) merges repeated slashes.
 */
export function normalizePath(uri: string, mergeSlashes = true): string {
  if (uri === "" || uri === "/") return uri;
  if (uri.includes("%")) {
    uri = uri.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const n = Number.parseInt(hex, 16);
      return RESERVED.has(n) ? m.toUpperCase() : String.fromCharCode(n);
    });
  }
  if (!uri.includes(".") && (!mergeSlashes || !uri.includes("//"))) return uri;
  const out: string[] = [];
  while (uri.length > 0) {
    if (uri === "/.") {
      uri = "/";
    } else if (uri === "/..") {
      uri = "/";
      out.pop();
    } else if (uri === "." || uri === "..") {
      uri = "";
    } else if (uri.startsWith("../")) {
      uri = uri.slice(3);
    } else if (uri.startsWith("./")) {
      uri = uri.slice(2);
    } else if (uri.startsWith("/./")) {
      uri = uri.slice(2);
    } else if (uri.startsWith("/../")) {
      uri = uri.slice(3);
      out.pop();
    } else if (mergeSlashes && uri.startsWith("//")) {
      uri = uri.slice(1);
    } else {
      const i = uri.indexOf("/", 1);
      if (i > 0) {
        out.push(uri.slice(0, i));
        uri = uri.slice(i);
      } else {
        out.push(uri);
        uri = "";
      }
    }
  }
  return out.join("");
}

const UNESCAPED = /[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/g;

/** Percent-encodes the bytes Kong escapes in the upstream path. */
export function escapePath(path: string): string {
  return path.replace(UNESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}
