/** The frames of the cluster protocol, after Kong's (kong/clustering/data_plane.lua). */

/** DP → CP, first frame: what the DP runs. */
export type BasicInfo = {
  type: "basic_info";
  plugins: Array<{ name: string; version: string }>;
  labels?: Record<string, string>;
};

/** DP → CP, every `PING_INTERVAL` and right after a config is applied or refused. */
export type Ping = {
  type: "ping";
  config_hash: string;
  /** Why the last snapshot was refused, if it was. */
  error?: { reason: string; version?: number; config_hash?: string };
};

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
  return pluginsOk && (o.labels === undefined || o.labels === null || isStringMap(o.labels));
}
