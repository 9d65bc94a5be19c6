import { dpFamily, type Family } from "./families";

/**
 * Series as they travel from isolate to DP node to CP: the key is `JSON.stringify([name,
 * ...label values])`; the value is `[total]` for a counter and `[sum, count, per-bucket counts
 * (not cumulative), +Inf bucket]` for a histogram.
 */
export type MetricsWire = Record<string, number[]>;

/** Most series one data plane keeps (label values come from config, so this is generous). */
export const MAX_SERIES = 10_000;
const MAX_KEY_LENGTH = 2048;

/** One series, as read out. */
export type Series = { family: Family; labels: string[]; values: readonly number[] };

function width(family: Family): number {
  return family.type === "histogram" ? (family.buckets?.length ?? 0) + 3 : 1;
}

/**
 * The data plane's metrics: counters and histograms by label values, in plain numbers so that
 * they add up across isolates and travel as JSON. Beyond `MAX_SERIES` new series are dropped
 * (and counted in `dropped`) rather than let memory grow.
 */
export class MetricSet {
  private readonly series = new Map<string, number[]>();
  dropped = 0;

  get size(): number {
    return this.series.size;
  }

  /** Adds to a counter. */
  add(name: string, labels: readonly string[], by: number): void {
    const values = this.slot(name, labels);
    if (values) values[0] = (values[0] ?? 0) + by;
  }

  /** Records one observation in a histogram. */
  observe(name: string, labels: readonly string[], value: number): void {
    const buckets = dpFamily(name)?.buckets;
    const values = buckets && this.slot(name, labels);
    if (!values) return;
    values[0] = (values[0] ?? 0) + value;
    values[1] = (values[1] ?? 0) + 1;
    let i = buckets.findIndex((le) => value <= le);
    if (i < 0) i = buckets.length;
    values[2 + i] = (values[2 + i] ?? 0) + 1;
  }

  /** Adds another set's series (already checked by `validMetricsWire`). */
  merge(wire: MetricsWire): void {
    for (const [key, add] of Object.entries(wire)) {
      const values = this.series.get(key) ?? this.fresh(key, add.length);
      if (!values) continue;
      for (let i = 0; i < add.length; i++) values[i] = (values[i] ?? 0) + (add[i] ?? 0);
    }
  }

  toWire(): MetricsWire {
    return Object.fromEntries(this.series);
  }

  /** What was recorded since the last take, leaving the set empty. */
  take(): MetricsWire {
    const wire = this.toWire();
    this.series.clear();
    return wire;
  }

  *entries(): Generator<Series> {
    for (const [key, values] of this.series) {
      const [name, ...labels] = JSON.parse(key) as string[];
      const family = dpFamily(name ?? "");
      if (family) yield { family, labels, values };
    }
  }

  private slot(name: string, labels: readonly string[]): number[] | undefined {
    const key = JSON.stringify([name, ...labels]);
    const family = dpFamily(name);
    if (!family) return undefined;
    return this.series.get(key) ?? this.fresh(key, width(family));
  }

  private fresh(key: string, length: number): number[] | undefined {
    if (this.series.size >= MAX_SERIES) {
      this.dropped++;
      return undefined;
    }
    const values = new Array<number>(length).fill(0);
    this.series.set(key, values);
    return values;
  }
}

/**
 * Whether a data plane's report is well formed: known families, the right number of labels and
 * values, finite non-negative numbers, within `MAX_SERIES`.
 */
export function validMetricsWire(x: unknown): x is MetricsWire {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const entries = Object.entries(x);
  if (entries.length > MAX_SERIES) return false;
  return entries.every(([key, values]) => {
    if (key.length > MAX_KEY_LENGTH || !Array.isArray(values)) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(key);
    } catch {
      return false;
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) return false;
    const family = dpFamily(parsed[0] ?? "");
    return (
      family !== undefined &&
      parsed.length === family.labels.length + 1 &&
      values.length === width(family) &&
      values.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0)
    );
  });
}
