import type { DeclarativeConfig } from "../declarative/config";
import type { ConfigHashes } from "../hash/config-hash";

/** What a signed snapshot carries once inflated. */
export type Envelope = {
  /** Monotonic config version of the cluster: a DP never applies a lower one of the same epoch. */
  version: number;
  /** The database's identity: a new one (a restored or moved database) restarts the version count. */
  epoch: string;
  config_hash: string;
  hashes: ConfigHashes;
  /** Milliseconds since the epoch (seconds before Lintel 0.1.0's managed CP; larger either way). */
  created_at: number;
  cp_id: string;
  config: DeclarativeConfig;
};

/**
 * The signed part of a snapshot: small, so the DP can refuse an old, oversized or foreign snapshot
 * before it inflates anything. `sha256` binds the gzip bytes that follow it.
 */
export type Manifest = {
  version: number;
  epoch: string;
  config_hash: string;
  /** Hex SHA-256 of the gzip bytes. */
  sha256: string;
  /** Length of the inflated JSON in bytes. */
  size: number;
  created_at: number;
  cp_id: string;
  /**
   * Length of the hot section's gzip (the bytes `sha256` names); the cold section follows. Absent
   * in a snapshot without a cold section (Lintel before 0.1.0's cold sections).
   */
  hot_bytes?: number;
  /** Hex SHA-256 of the cold section's gzip. */
  cold_sha256?: string;
  /** Length of the inflated cold section in bytes. */
  cold_size?: number;
  /** How many consumers and credentials the cold section holds. */
  cold_entities?: number;
};

/** The most JSON a snapshot's hot section may inflate to: it is parsed whole, in every isolate. */
export const MAX_HOT_JSON = 32 * 1024 * 1024;
/** The most a cold section may inflate to: it is read one entity at a time. */
export const MAX_COLD_JSON = 1024 * 1024 * 1024;
