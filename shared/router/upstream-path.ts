/**
 * The upstream path as Kong's `path_handling = "v0"` builds it (kong/router/utils.lua), from the
 * normalised request path, the route path that matched and the service's path.
 */
export function upstreamPathV0(opts: {
  requestPath: string;
  matchedPath: string | undefined;
  stripPath: boolean;
  servicePath: string | null | undefined;
}): string {
  const { requestPath, matchedPath, stripPath } = opts;
  const base = opts.servicePath || "/";
  const strip = stripPath && matchedPath !== undefined;
  const postfix = strip ? sanitizePostfix(requestPath.slice(matchedPath.length)) : requestPath;
  if (base.endsWith("/")) {
    if (strip) {
      if (postfix === "") {
        if (base === "/") return "/";
        return requestPath.endsWith("/") ? base : base.slice(0, -1);
      }
      return postfix.startsWith("/") ? base.slice(0, -1) + postfix : base + postfix;
    }
    return base + requestPath.slice(1);
  }
  if (strip) {
    if (postfix === "") return requestPath.length > 1 && requestPath.endsWith("/") ? `${base}/` : base;
    return postfix.startsWith("/") ? base + postfix : `${base}/${postfix}`;
  }
  return requestPath === "/" ? base : base + requestPath;
}

/**
 * Kong's `sanitize_uri_postfix`: what follows a stripped prefix may not climb out of the service
 * path (`/route./req` and `/route%2E%2E/req` leave `./req` and `../req`).
 */
function sanitizePostfix(postfix: string): string {
  if (postfix === "." || postfix === "..") return "";
  if (postfix.startsWith("./")) return postfix.slice(2);
  if (postfix.startsWith("../")) return postfix.slice(3);
  return postfix;
}
