import type { ExportedRoute, ExportedService } from "../declarative/config";

/** What the router sees of a request. `path` is normalised and without the query string. */
export type RouterRequest = {
  method: string;
  /** Host without port, lower case. */
  host: string;
  port: number;
  path: string;
  scheme: "http" | "https";
  /** The TLS server name, when it is not the host (at the edge it is the host). */
  sni?: string;
  headers: { get(name: string): string | null };
};

export type RouteMatch = {
  route: ExportedRoute;
  /** Undefined for a serviceless route, or one whose service is absent from the config. */
  service: ExportedService | undefined;
  /** The route path that matched (prefix, or the regex match's text); undefined without paths. */
  matchedPath: string | undefined;
  /** Kong's `uri_captures`: a regex path's numbered and named groups, when it has any. */
  captures?: Record<string, string>;
};

/** Every router implementation answers the same contract and passes the same suite. */
export interface Router {
  match(request: RouterRequest): RouteMatch | undefined;
}
