import type { Handle } from "../shared/balancer/address";
import type { Outcome } from "../shared/balancer/balancer";
import { http1 } from "./http1";
import type { ServiceTarget } from "./service-targets";

export type ForwardRequest = {
  method: string;
  /** Path and query for the upstream, escaped. */
  pathAndQuery: string;
  headers: Headers;
  /** The body, buffered so that it can be sent again, or a stream that can be sent once. */
  body: ArrayBuffer | ReadableStream | null;
  /** The Host header to send; undefined: the target's, as Kong sets it. */
  host: string | undefined;
  /** The upstream's `host_header`, when it has one. */
  hostHeader?: string;
  retries: number;
  connectTimeout: number;
  readTimeout: number;
  valueToHash: string;
};

export type Forwarded =
  | { response: Response; upstreamLatency: number; tries: number }
  | { status: 502 | 503 | 504; message: string; tries: number };

/** Kong's Host for a target: the name, with the port unless it is the scheme's default. */
function hostFor(name: string, port: number, scheme: string): string {
  const host = name.includes(":") ? `[${name}]` : name;
  return (scheme === "http" && port === 80) || (scheme === "https" && port === 443)
    ? host
    : `${host}:${port}`;
}

/**
 * Sends a request to the service, trying again on connection errors and timeouts (never after a
 * response), each time at the next address the balancer gives, up to `service.retries` times.
 * The response head must come within connect_timeout + read_timeout. The body then streams
 * through untouched: watching each read in JavaScript cost 15 % of throughput (BENCHMARKS.md), and
 * the runtime's own idle limit on subrequests applies to a stalled body.
 */
export async function forward(
  target: ServiceTarget,
  req: ForwardRequest,
  now: () => number = Date.now,
): Promise<Forwarded> {
  const handle: Handle = { retries: 0 };
  const tries = typeof req.body === "object" && req.body instanceof ReadableStream ? 1 : req.retries + 1;
  let last: Forwarded = {
    status: 502,
    message: "An invalid response was received from the upstream server",
    tries: 0,
  };
  for (let attempt = 0; attempt < tries; attempt++) {
    let name: string;
    let port: number;
    if (target.kind === "balancer") {
      const peer = target.balancer.peer(handle, req.valueToHash);
      if ("error" in peer) return { status: 503, message: peer.error, tries: attempt };
      name = peer.host;
      port = peer.port;
    } else {
      name = target.host;
      port = target.port;
    }
    // the caller's copy, Host set again for each try
    const headers = req.headers;
    const host = req.host ?? hostFor(req.hostHeader ?? name, port, target.scheme);
    headers.set("host", host);
    // fetch sends the URL's host as Host: another Host needs a connection of our own
    const ownConnection = host !== hostFor(name, port, target.scheme) && !headers.has("upgrade");
    const url = `${target.scheme}://${name.includes(":") ? `[${name}]` : name}:${port}${req.pathAndQuery}`;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException("timeout", "TimeoutError")),
      req.connectTimeout + req.readTimeout,
    );
    const sentAt = now();
    let outcome: Outcome;
    try {
      const response = ownConnection
        ? await http1({
            address: name,
            port,
            tls: target.scheme === "https",
            method: req.method,
            pathAndQuery: req.pathAndQuery,
            headers,
            body: req.body,
            signal: controller.signal,
          })
        : await fetch(url, {
            method: req.method,
            headers,
            body: req.body,
            redirect: "manual",
            signal: controller.signal,
          });
      clearTimeout(timer);
      outcome = { status: response.status };
      if (target.kind === "balancer") target.balancer.report(handle, outcome);
      return {
        response,
        upstreamLatency: now() - sentAt,
        tries: attempt + 1,
      };
    } catch (e) {
      clearTimeout(timer);
      const timedOut = controller.signal.aborted;
      outcome = { error: timedOut ? "timeout" : "tcp" };
      if (target.kind === "balancer") target.balancer.report(handle, outcome);
      last = timedOut
        ? { status: 504, message: "The upstream server is timing out", tries: attempt + 1 }
        : {
            status: 502,
            message: "An invalid response was received from the upstream server",
            tries: attempt + 1,
          };
      void e;
    }
  }
  return last;
}
