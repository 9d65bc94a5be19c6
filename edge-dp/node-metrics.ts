import { MAX_DP_MESSAGE, type Ping } from "../shared/cluster/messages";
import { MetricSet, type MetricsWire, validMetricsWire } from "../shared/metrics/metric-set";

/** Changed metrics are sent to the CP at most this often (and with every ping). */
const EVERY_MS = 5_000;
const KEY = "metrics";

/**
 * The prometheus plugin's metrics of every isolate of a colo, as its DP node holds them: totals
 * since the node began, kept in its storage (best effort: counters then survive an eviction) and
 * carried whole in pings to the CP, as long as a ping can carry them.
 */
export class NodeMetrics {
  private readonly set = new MetricSet();
  private changed = false;
  private sentAt = 0;
  private warned = new Set<string>();

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<void> {
    const kept = await this.storage.get<MetricsWire>(KEY);
    if (validMetricsWire(kept)) this.set.merge(kept);
  }

  /** Adds an isolate's report; true when the CP should be told now. */
  async add(delta: MetricsWire): Promise<boolean> {
    if (!validMetricsWire(delta)) return false;
    this.set.merge(delta);
    this.changed = true;
    try {
      await this.storage.put(KEY, this.set.toWire());
    } catch (e) {
      this.warnOnce("storage", `[lintel] dp: keeping the metrics in storage failed: ${e}`);
    }
    return this.due(Date.now());
  }

  /** Whether changed metrics wait to be sent. */
  due(now: number): boolean {
    return this.changed && now - this.sentAt >= EVERY_MS;
  }

  /** A ping's text with the metrics in it, or without them when they would make it too large. */
  ping(message: Ping): string {
    if (this.set.size === 0) return JSON.stringify(message);
    const text = JSON.stringify({ ...message, metrics: this.set.toWire() });
    if (text.length <= MAX_DP_MESSAGE) return text;
    this.warnOnce(
      "size",
      `[lintel] dp: ${this.set.size} metric series are more than a ping may carry (${MAX_DP_MESSAGE} bytes); not reported`,
    );
    return JSON.stringify(message);
  }

  /** The metrics went out at `now`. */
  sent(now: number): void {
    this.sentAt = now;
    this.changed = false;
  }

  private warnOnce(what: string, message: string): void {
    if (this.warned.has(what)) return;
    this.warned.add(what);
    console.error(message);
  }
}
