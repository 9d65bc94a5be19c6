import { ConfigHolder } from "./config-holder";
import { EdgeEnvironment, type IsolateServices } from "./edge-environment";
import { dpConf, type Env } from "./env";
import { IsolateMetrics } from "./isolate-metrics";
import { LogQueue } from "./log-queue";
import { proxy } from "./proxy";
import { RateLeases } from "./rate-leases";

export { DataPlaneNode } from "./dp-node";
export { RateLimitCounter } from "./rate-counter";

const holder = new ConfigHolder();
const isolate: IsolateServices = {
  /** rate-limiting's leases of high limits. */
  leases: new RateLeases(),
  /** http-log's batches. */
  logs: new LogQueue(() => undefined),
  /** The prometheus plugin's metrics, reported to the colo's DP node. */
  metrics: new IsolateMetrics(),
};

/** The edge data plane: every request is routed with the isolate's current config and proxied. */
export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const conf = dpConf(env);
    if (!conf.ok) {
      console.error(`[lintel] dp: invalid configuration: ${conf.error.join("; ")}`);
      return Response.json({ message: "An unexpected error occurred" }, { status: 500 });
    }
    // `request.cf` is made from the request's metadata when first read (14 µs a request in
    // workerd's profile of the proxy path): read only by what needs the colo
    let colo: string | undefined;
    const coloOf = () => (colo ??= (request.cf?.colo as string | undefined) ?? "local");
    const config = await holder.get(env, conf.value, coloOf, ctx);
    return proxy(
      request,
      config,
      conf.value,
      (consumers) => new EdgeEnvironment(consumers, isolate, env, coloOf, ctx),
    );
  },
} satisfies ExportedHandler<Env>;
