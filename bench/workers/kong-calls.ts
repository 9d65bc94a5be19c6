/**
 * A reference for the benchmark: a Worker with none of Lintel's code (no config, no router, no
 * plugins) that makes the runtime calls Kong's proxy path needs for one request, as the DP makes
 * them with Kong's default `headers` and `headers_upstream`:
 * - `request`: the request's headers copied, hop-by-hop headers dropped, X-Forwarded-*, X-Real-IP,
 *   Via and the request id set for the upstream;
 * - `timer`: an AbortController and a timer for the upstream timeouts;
 * - `response`: the response copied (a fetch's response headers cannot change) to add Via, the
 *   latency headers and the request id.
 * `KONG_CALLS` names the parts to make (all three unless set), so that each part's cost can be
 * told apart. Against the bare pass-through Worker it shows what that runtime work costs; the DP
 * against it shows what Lintel's own code costs.
 */
export { DataPlaneNode } from "../../edge-dp/dp-node";
export { RateLimitCounter } from "../../edge-dp/rate-counter";

// the DP's list (a constant: no code of the DP runs)
import { HOP_BY_HOP } from "../../edge-dp/proxy";

const VIA = "1.1 lintel";
const TIMEOUT_MS = 120_000;

type Env = { BENCH_UPSTREAM: string; KONG_CALLS?: string };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const parts = env.KONG_CALLS ?? "request,timer,response";
    const started = Date.now();
    const id = crypto.randomUUID().replaceAll("-", "");
    const url = new URL(request.url);
    let headers = request.headers;
    if (parts.includes("request")) {
      headers = new Headers(request.headers);
      for (const name of HOP_BY_HOP) headers.delete(name);
      headers.delete("cf-connecting-ip");
      headers.set("x-forwarded-for", "127.0.0.1");
      headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
      headers.set("x-forwarded-host", url.hostname);
      headers.set("x-forwarded-port", url.port || "80");
      headers.set("x-forwarded-path", url.pathname);
      headers.delete("x-forwarded-prefix");
      headers.set("x-real-ip", "127.0.0.1");
      headers.set("x-kong-request-id", id);
      headers.set("via", VIA);
      headers.set("host", new URL(env.BENCH_UPSTREAM).host);
    }
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (parts.includes("timer")) {
      const c = new AbortController();
      controller = c;
      timer = setTimeout(() => c.abort(), TIMEOUT_MS);
    }
    const sentAt = Date.now();
    const res = await fetch(`${env.BENCH_UPSTREAM}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
      ...(controller ? { signal: controller.signal } : {}),
    });
    clearTimeout(timer);
    if (!parts.includes("response")) return res;
    const response = new Response(res.body, res);
    const out = response.headers;
    out.append("via", VIA);
    out.set("x-kong-upstream-latency", String(Date.now() - sentAt));
    out.set("x-kong-proxy-latency", String(sentAt - started));
    out.set("x-kong-request-id", id);
    return response;
  },
};
