/**
 * The benchmark's baseline: a bare pass-through Worker, deployed exactly as the edge DP is (same
 * bundle options, same Durable Object binding), that forwards every request to the upstream.
 */
export { DataPlaneNode } from "../../edge-dp/dp-node";
export { RateLimitCounter } from "../../edge-dp/rate-counter";

export default {
  fetch(request: Request, env: { BENCH_UPSTREAM: string }): Promise<Response> {
    const url = new URL(request.url);
    return fetch(env.BENCH_UPSTREAM + url.pathname + url.search, request);
  },
};
