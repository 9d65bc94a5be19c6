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
  readonly state = new Map<string, unknown>();
  readonly responseHeaders = new HeaderMap();
  consumer?: Consumer;
  credential?: Credential;
  upstreamMethod?: string;
  upstreamBody?: ArrayBuffer;
  upstreamPath?: string;
  /** The query, parsed only for a plugin that reads or changes it, and its text as it came. */
  private parsed: URLSearchParams | undefined;
  private original = "";
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

  get query(): URLSearchParams {
    if (!this.parsed) {
      this.parsed = new URLSearchParams(this.url.search);
      this.original = this.parsed.toString();
    }
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
    if (!this.parsed) return this.url.search;
    const now = this.parsed.toString();
    return now === this.original ? this.url.search : now ? `?${now}` : "";
  }
}
