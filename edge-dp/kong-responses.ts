import { errorBody } from "../shared/proxy/error-body";
import { LINTEL_VERSION } from "../shared/version";

export const NO_ROUTE = "no Route matched with those values";
export const NO_SERVICE = "no Service found with those values";

/**
 * A response the proxy makes itself (Kong's `kong.response.error`): the body in the format the
 * client accepts, with the headers `headers` enables (Server, X-Kong-Response-Latency,
 * X-Kong-Request-Id).
 */
export function generated(
  status: number,
  message: string,
  requestId: string,
  accept: string | null,
  startedAt: number,
  enabled: ReadonlySet<string>,
): Response {
  const { type, body } = errorBody(message, requestId, accept);
  const headers = new Headers({ "content-type": type });
  if (enabled.has("server")) headers.set("server", `lintel/${LINTEL_VERSION}`);
  if (enabled.has("x-kong-response-latency"))
    headers.set("x-kong-response-latency", String(Date.now() - startedAt));
  if (enabled.has("x-kong-request-id")) headers.set("x-kong-request-id", requestId);
  return new Response(body, { status, headers });
}

/** A route for https only, reached over http: Kong's 426, or its redirect (`https_redirect_status_code`). */
export function httpsRequired(status: number, url: URL, requestId: string, accept: string | null): Response {
  if (status === 426) {
    const { type, body } = errorBody("Please use HTTPS protocol", requestId, accept);
    // Kong's headers; the runtime may drop them as hop-by-hop headers on the way out
    return new Response(body, {
      status,
      headers: {
        "content-type": type,
        "x-kong-request-id": requestId,
        connection: "Upgrade",
        upgrade: "TLS/1.2, HTTP/1.1",
      },
    });
  }
  const location = new URL(url);
  location.protocol = "https:";
  location.port = "";
  return new Response(null, {
    status,
    headers: { location: location.toString(), "x-kong-request-id": requestId },
  });
}
