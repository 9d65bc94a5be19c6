import type { DeclarativeConfig } from "../shared/declarative/config";
import { KeyedConsumers } from "../shared/plugins/runtime/consumers";

/** Keys an isolate remembers per config, found or not (oldest forgotten first). */
const REMEMBERED = 50_000;

/** A lookup's answer, and whether it comes from the config the isolate serves. */
export type StoredRows = { rows: unknown[]; current: boolean };

/**
 * A large config's consumers and credentials as an isolate sees them: looked up in the DP node's
 * storage the first time a request names them, then remembered for the config's life, misses too
 * (so a stream of bad keys costs the node one lookup per key, not per request). Lookups of the
 * same key at the same time share one call. An answer the node gave from another config (it moved
 * on before this isolate did) serves the requests waiting for it and is not remembered.
 */
export class StoredConsumers extends KeyedConsumers {
  private readonly seen = new Map<string, unknown[] | Promise<unknown[]>>();

  constructor(
    hot: DeclarativeConfig,
    private readonly rows: (key: string) => Promise<StoredRows>,
  ) {
    super(hot);
  }

  protected find(key: string): unknown[] | Promise<unknown[]> {
    const hit = this.seen.get(key);
    if (hit !== undefined) {
      this.seen.delete(key);
      this.seen.set(key, hit);
      return hit;
    }
    const pending = this.rows(key).then(
      (found) => {
        if (this.seen.get(key) === pending) {
          if (found.current) this.seen.set(key, found.rows);
          else this.seen.delete(key);
        }
        return found.rows;
      },
      (e: unknown) => {
        this.seen.delete(key);
        throw e;
      },
    );
    this.seen.set(key, pending);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    return pending;
  }
}
