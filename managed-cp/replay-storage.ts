import type { ReplayStore } from "../shared/cluster/handshake";

const PREFIX = "jti:";

/**
 * Handshake token ids, kept in the Hub Durable Object's storage until they expire: a token cannot
 * be replayed after the Hub hibernated or moved. The check and the write happen with no other
 * event in between (the object's input gate).
 */
export class StorageReplay implements ReplayStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  async admit(jti: string, exp: number, nowSeconds: number): Promise<boolean> {
    const key = PREFIX + jti;
    const until = await this.storage.get<number>(key);
    if (until !== undefined && until >= nowSeconds) return false;
    await this.storage.put(key, exp);
    return true;
  }

  /** Drops the ids of tokens that have expired. */
  async sweep(nowSeconds: number): Promise<void> {
    const all = await this.storage.list<number>({ prefix: PREFIX });
    const expired = [...all].filter(([, until]) => until < nowSeconds).map(([k]) => k);
    for (let i = 0; i < expired.length; i += 128) await this.storage.delete(expired.slice(i, i + 128));
  }
}
