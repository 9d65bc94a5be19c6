import type { HeaderSet } from "../../util/header-map";
import type { LogSink } from "../handlers/http-log";
import type { MetricSink } from "../handlers/prometheus";
import type { ResponseCache } from "../handlers/proxy-cache";
import type { RateCounters } from "../handlers/rate-limiting";

/** A consumer as the plugins see it. */
export type Consumer = { id: string; username: string | null; custom_id: string | null };

export type JwtSecret = Credential & {
  key: string;
  secret: string | null;
  algorithm: string | null;
  rsa_public_key: string | null;
};

/** A credential that identified a consumer. */
export type Credential = { id: string; consumer: { id: string } } & Record<string, unknown>;

/**
 * One request as the plugins see and change it. `upstreamHeaders` and `query` are what will be
 * sent to the service; a plugin that answers the request itself returns a Response.
 */
export type PluginRequest = {
  method: string;
  scheme: "http" | "https";
  /** The normalised path. */
  path: string;
  /** The path as the client sent it (Kong's `$request` URI without the query). */
  rawPath: string;
  /** Each plugin's own state for this request (Kong's kong.ctx.plugin), by the plugin's name. */
  state: Map<string, unknown>;
  /** The client's headers, as received. */
  headers: Headers;
  /** The headers for the service, which plugins change. */
  upstreamHeaders: Headers;
  /** The query string for the service, which plugins change. */
  query: URLSearchParams;
  /** The client's address (after trusted_ips and real_ip_header). */
  ip: string;
  routeId: string | undefined;
  serviceId: string | undefined;
  /** Set by an authentication plugin (Kong's kong.client.authenticate). */
  consumer?: Consumer;
  credential?: Credential;
  /** Reads the request body once, for the plugins that need it. */
  body(): Promise<ArrayBuffer | null>;
  /** Response headers set by plugins during access (correlation-id's echo, rate limits). */
  responseHeaders: HeaderSet;
  /**
   * The client certificate of the TLS connection, when there was one: its DER (leaf first, as the
   * edge forwards it, RFC 9440) and what the edge found of it. Read when a plugin asks (mtls-auth):
   * it costs the edge's request metadata and a hash.
   */
  clientCertificate?(): Promise<{ chain: Uint8Array[]; revoked: boolean } | undefined>;
  /** The route's regex captures (Kong's uri_captures), when it has any. */
  captures?: Record<string, string>;
  /** Set by a plugin: the method for the service instead of the client's. */
  upstreamMethod?: string;
  /** Set by a plugin: the body for the service instead of the client's. */
  upstreamBody?: ArrayBuffer;
  /** Set by a plugin: the path for the service instead of the routed one. */
  upstreamPath?: string;
};

/**
 * A response a plugin gives instead of the service's: Kong's `kong.response.error` (a `message`
 * in the format the client accepts) or `kong.response.exit` (a `json` value, or a raw `body`).
 */
export type Exit = {
  status: number;
  message?: string;
  json?: unknown;
  body?: string;
  /** A raw body as bytes (a cached response). */
  bodyBytes?: ArrayBuffer;
  contentType?: string;
  headers?: Record<string, string>;
};

export interface PluginHandler<C = Record<string, unknown>> {
  name: string;
  priority: number;
  /** `scope`: the plugin entity's own route and service (Kong keys its counters by them). */
  access?(
    req: PluginRequest,
    config: C,
    env: PluginEnvironment,
    scope?: string,
  ): Promise<Exit | undefined> | Exit | undefined;
  /** After the service answered (or a plugin did): may change the response headers. */
  headerFilter?(req: PluginRequest, config: C, headers: Headers, status: number): void;
  /**
   * The service's whole body, for a plugin that rewrites it: the new body, or undefined to leave
   * it as it is. The proxy buffers a body only when a plugin that ran has this phase.
   */
  bodyFilter?(req: PluginRequest, config: C, body: string, headers: Headers): string | undefined;
  /**
   * The service's whole body as bytes, to keep (proxy-cache); it is passed on unchanged. The
   * proxy buffers a body only when a plugin that ran has this phase.
   */
  bodyBytes?(
    req: PluginRequest,
    config: C,
    body: ArrayBuffer,
    headers: Headers,
    status: number,
    env: PluginEnvironment,
  ): void;
  /** After the response: Kong's log phase, with Kong's serialized log entry. */
  log?(req: PluginRequest, config: C, entry: unknown, env: PluginEnvironment): void;
}

/** What plugins may look up in the config, built once per config. */
export type PluginEnvironment = {
  consumers: ConsumerLookup;
  counters: RateCounters;
  logs: LogSink;
  metrics: MetricSink;
  cache: ResponseCache;
};

/** A value now, or later when it is looked up elsewhere (the DP node's storage). */
export type Lookup<T> = T | Promise<T>;

export interface ConsumerLookup {
  /** By id or username, as Kong's `anonymous` names one. */
  consumer(idOrUsername: string): Lookup<Consumer | undefined>;
  keyAuth(key: string): Lookup<Credential | undefined>;
  /** A basic-auth credential by username; its `password` is Kong's hash. */
  basicAuth(username: string): Lookup<(Credential & { username: string; password: string }) | undefined>;
  /** A JWT credential by its key (the `iss` claim by default). */
  jwtSecret(key: string): Lookup<JwtSecret | undefined>;
  /** A consumer by its custom_id. */
  consumerByCustomId(customId: string): Lookup<Consumer | undefined>;
  /** A CA certificate entity's DER, by id (part of every config: no lookup elsewhere). */
  caCertificate(id: string): Uint8Array | undefined;
  /** A consumer's ACL groups, in Kong's order. */
  groups(consumerId: string): Lookup<string[]>;
}
