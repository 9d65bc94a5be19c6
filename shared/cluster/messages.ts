/** The frames of the cluster protocol, after Kong's (kong/clustering/data_plane.lua). */

import { type MetricsWire, validMetricsWire } from "../metrics/metric-set";

/** DP → CP, first frame: what the DP runs. */
export type BasicInfo = {
  type: "basic_info";
  plugins: Array<{ name: string; version: string }>;
  labels?: Record<string, string>;
  /**
   * Lintel: the DP takes a snapshot over one frame as a header and frames (`snapshot-frames.ts`).
   * A DP that does not say so is sent each snapshot whole, in one message.
   */
  snapshot_frames?: boolean;
};

/** DP → CP, every `PING_INTERVAL` and right after a config is applied or refused. */
export type Ping = {
  type: "ping";
  config_hash: string;
  /** Why the last snapshot was refused, if it was. */
  error?: { reason: string; version?: number; config_hash?: string };
  /**
   * Lintel: what the node's active health checks found, by target (`upstream id|host:port`), for
   * the CP's `/upstreams/{upstream}/health`.
   */
  health?: Record<string, "HEALTHY" | "UNHEALTHY">;
  /**
   * Lintel: the node's prometheus metrics (every series, totals since the node began), for the
   * CP's `/metrics`: a Worker has no status listener of its own to be scraped.
   */
  metrics?: MetricsWire;
};

/** The largest message a DP may send the CP (the CP closes a DP whose message is larger). */
export const MAX_DP_MESSAGE = 1024 * 1024;

/** Most targets a ping may report on (a bound for what the CP keeps per DP). */
export const MAX_HEALTH_REPORTS = 10_000;

export type DpMessage = BasicInfo | Ping;

/** Kong's PING_INTERVAL and PING_WAIT, seconds. */
export const PING_INTERVAL = 30;
export const PING_WAIT = PING_INTERVAL * 1.5;

export function parseDpMessage(text: string): DpMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== "object" || m === null) return undefined;
  const o = m as Record<string, unknown>;
  if (o.type === "basic_info") return validBasicInfo(o) ? (o as BasicInfo) : undefined;
  if (o.type === "ping" && typeof o.config_hash === "string" && /^[0-9a-f]{32}$/.test(o.config_hash)) {
    if (o.health !== undefined && !validHealth(o.health)) return undefined;
    if (o.metrics !== undefined && !validMetricsWire(o.metrics)) return undefined;
    return o as Ping;
  }
  return undefined;
}

const isStringMap = (v: unknown) =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === "string");

function validBasicInfo(o: Record<string, unknown>): boolean {
  if (!Array.isArray(o.plugins)) return false;
  const pluginsOk = o.plugins.every(
    (p) =>
      typeof p === "object" &&
      p !== null &&
      typeof (p as Record<string, unknown>).name === "string" &&
      typeof (p as Record<string, unknown>).version === "string",
  );
  if (o.snapshot_frames !== undefined && typeof o.snapshot_frames !== "boolean") return false;
  return pluginsOk && (o.labels === undefined || o.labels === null || isStringMap(o.labels));
}

function validHealth(h: unknown): boolean {
  if (typeof h !== "object" || h === null || Array.isArray(h)) return false;
  const entries = Object.entries(h);
  return (
    entries.length <= MAX_HEALTH_REPORTS &&
    entries.every(([k, v]) => k.length <= 512 && (v === "HEALTHY" || v === "UNHEALTHY"))
  );
}
