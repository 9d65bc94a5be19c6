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
