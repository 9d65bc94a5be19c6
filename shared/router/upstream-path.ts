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
  const postfix = strip ? requestPath.slice(matchedPath.length) : requestPath;
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
