/** Kong's proxy error bodies, each with the request id as Kong adds it. */
export function kongMessage(status: number, message: string, requestId: string): Response {
  return new Response(JSON.stringify({ message, request_id: requestId }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "x-kong-request-id": requestId },
  });
}

export const NO_ROUTE = "no Route matched with those values";
export const NO_SERVICE = "no Service found with those values";
export const BAD_GATEWAY = "An invalid response was received from the upstream server";
export const GATEWAY_TIMEOUT = "The upstream server is timing out";

/** A route for https only, reached over http: Kong's 426, or its redirect (`https_redirect_status_code`). */
export function httpsRequired(status: number, url: URL, requestId: string): Response {
  if (status === 426) {
    const res = kongMessage(426, "Please use HTTPS protocol", requestId);
    // Kong's headers; the runtime may drop them as hop-by-hop headers on the way out
    res.headers.set("connection", "Upgrade");
    res.headers.set("upgrade", "TLS/1.2, HTTP/1.1");
    return res;
  }
  const location = new URL(url);
  location.protocol = "https:";
  location.port = "";
  return new Response(null, {
    status,
    headers: { location: location.toString(), "x-kong-request-id": requestId },
  });
}
