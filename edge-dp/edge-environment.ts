import type { LogSink } from "../shared/plugins/handlers/http-log";
import type { MetricSink } from "../shared/plugins/handlers/prometheus";
import type { ResponseCache } from "../shared/plugins/handlers/proxy-cache";
import type { RateCounters } from "../shared/plugins/handlers/rate-limiting";
import type { ConsumerLookup, PluginEnvironment } from "../shared/plugins/runtime/types";
import type { Env } from "./env";
import type { IsolateMetrics } from "./isolate-metrics";
import type { LogQueue } from "./log-queue";
import { edgeCounters } from "./rate-counter";
import type { RateLeases } from "./rate-leases";
import { edgeResponseCache } from "./response-cache";

/** What an isolate keeps for its plugins across requests. */
export type IsolateServices = { leases: RateLeases; logs: LogQueue; metrics: IsolateMetrics };

/**
 * What plugins use at the edge for one request: the config's consumers, rate-limiting's counters,
 * the log queue, the response cache and the isolate's metrics. Each service is made when a plugin
 * first asks for it: most requests that run plugins use one or two of them.
 */
export class EdgeEnvironment implements PluginEnvironment {
  private madeCounters: RateCounters | undefined;
  private madeLogs: LogSink | undefined;
  private madeCache: ResponseCache | undefined;
  private madeMetrics: MetricSink | undefined;

  constructor(
    readonly consumers: ConsumerLookup,
    private readonly isolate: IsolateServices,
    private readonly env: Env,
    private readonly colo: () => string,
    private readonly ctx: ExecutionContext,
  ) {}

  private readonly keepAlive = (p: Promise<unknown>): void => this.ctx.waitUntil(p);

  get counters(): RateCounters {
    this.madeCounters ??= edgeCounters(this.env, this.colo, this.isolate.leases, this.keepAlive);
    return this.madeCounters;
  }

  get logs(): LogSink {
    this.madeLogs ??= this.isolate.logs.withContext(this.keepAlive);
    return this.madeLogs;
  }

  get cache(): ResponseCache {
    this.madeCache ??= edgeResponseCache(this.keepAlive);
    return this.madeCache;
  }

  get metrics(): MetricSink {
    this.madeMetrics ??= this.isolate.metrics.sink(this.env, this.colo, this.keepAlive);
    return this.madeMetrics;
  }
}
