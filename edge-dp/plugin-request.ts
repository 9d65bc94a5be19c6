import type { Consumer, Credential, PluginRequest } from "../shared/plugins/runtime/types";
import { HeaderMap } from "../shared/util/header-map";
import { clientCertificate } from "./client-certificate";

/**
 * A request as the plugins see it at the edge. A class, so that a request costs one allocation of a
 * known shape: an object literal with getters is defined property by property, each time.
 */
export class EdgePluginRequest implements PluginRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly rawPath: string;
  consumer?: Consumer;
  credential?: Credential;
  upstreamMethod?: string;
  upstreamBody?: ArrayBuffer;
  upstreamPath?: string;
  /** The query, parsed only for a plugin that reads or changes it. */
  private parsed: URLSearchParams | undefined;
  /** Made when a plugin first uses them: most requests that run plugins use neither. */
  private madeState: Map<string, unknown> | undefined;
  private collected: HeaderMap | undefined;
  private read: Promise<ArrayBuffer | null> | undefined;
  private certificate: ReturnType<typeof clientCertificate> | undefined;

  constructor(
    private readonly request: Request,
    private readonly url: URL,
    readonly path: string,
    readonly scheme: "http" | "https",
    readonly ip: string,
    readonly upstreamHeaders: Headers,
    readonly routeId: string | undefined,
    readonly serviceId: string | undefined,
    readonly captures: Record<string, string> | undefined,
  ) {
    this.method = request.method;
    this.headers = request.headers;
    this.rawPath = url.pathname;
  }

  get state(): Map<string, unknown> {
    this.madeState ??= new Map();
    return this.madeState;
  }

  get responseHeaders(): HeaderMap {
    this.collected ??= new HeaderMap();
    return this.collected;
  }

  /** The headers plugins set for the response, if any did. */
  get collectedHeaders(): HeaderMap | undefined {
    return this.collected;
  }

  get query(): URLSearchParams {
    this.parsed ??= new URLSearchParams(this.url.search);
    return this.parsed;
  }

  body(): Promise<ArrayBuffer | null> {
    this.read ??= this.request.body ? this.request.arrayBuffer() : Promise.resolve(null);
    return this.read;
  }

  /** Whether a plugin read the body (the proxy then sends what was read). */
  get bodyRead(): boolean {
    return this.read !== undefined;
  }

  clientCertificate(): ReturnType<typeof clientCertificate> {
    this.certificate ??= clientCertificate(this.request);
    return this.certificate;
  }

  /** The query for the service: the client's as it came, unless a plugin changed it. */
  search(): string {
    const original = this.url.search;
    if (!this.parsed) return original;
    const now = this.parsed.toString();
    // a query already in the runtime's form comes out as it went in: unchanged, with no need to
    // write the client's out again to compare (most queries are)
    if (now === original.slice(1)) return original;
    return now === new URLSearchParams(original).toString() ? original : now ? `?${now}` : "";
  }
}
