import { MetricSet } from "../shared/metrics/metric-set";
import type { MetricSink } from "../shared/plugins/handlers/prometheus";
import type { Env } from "./env";

/** How long an isolate gathers metrics before it reports them to its DP node. */
const REPORT_DELAY_MS = 1_000;

/**
 * The prometheus plugin's metrics in one isolate. The first request recorded after a report
 * starts the next one, `REPORT_DELAY_MS` later in that request's waitUntil, so every request
 * reaches the DP node within about a second and the node is called at most once a second per
 * isolate, never on the request path. A report that fails is kept for the next.
 */
export class IsolateMetrics {
  private readonly set = new MetricSet();
  private pending = false;

  /** The sink for one request, reporting in its waitUntil. */
  sink(env: Env, colo: () => string, waitUntil: (p: Promise<unknown>) => void): MetricSink {
    const schedule = () => {
      if (this.pending) return;
      this.pending = true;
      const node = colo();
      waitUntil(
        new Promise<void>((resolve) => {
          setTimeout(() => void this.report(env, node).finally(resolve), REPORT_DELAY_MS);
        }),
      );
    };
    return {
      add: (name, labels, by) => {
        this.set.add(name, labels, by);
        schedule();
      },
      observe: (name, labels, value) => {
        this.set.observe(name, labels, value);
        schedule();
      },
    };
  }

  private async report(env: Env, colo: string): Promise<void> {
    this.pending = false;
    const delta = this.set.take();
    if (Object.keys(delta).length === 0) return;
    try {
      await env.DP_NODE.get(env.DP_NODE.idFromName(colo)).addMetrics(delta);
    } catch (e) {
      this.set.merge(delta);
      console.error(`[lintel] dp: reporting metrics failed: ${e instanceof Error ? e.message : e}`);
    }
  }
}
