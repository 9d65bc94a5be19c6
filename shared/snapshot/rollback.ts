import type { Manifest } from "./envelope";

/** The epoch of a database no write has touched yet: its one snapshot is the empty config. */
export const NO_EPOCH = "00000000-0000-0000-0000-000000000000";

type Held = Pick<Manifest, "version" | "epoch" | "created_at">;

/**
 * Rollback protection: within an epoch a lower version is refused; a snapshot of another epoch (a
 * restored or moved database) must have been made after the one held, except that anything made
 * no earlier replaces the empty config of a database that had never been written (its first
 * write starts an epoch, possibly within the same millisecond).
 */
export function isStale(next: Held, held: Held): boolean {
  if (next.epoch === held.epoch) return next.version < held.version;
  if (held.epoch === NO_EPOCH) return next.created_at < held.created_at;
  return !(next.created_at > held.created_at);
}
