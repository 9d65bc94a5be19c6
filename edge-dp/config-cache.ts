import { cacheKey, openCache, sealCache } from "../shared/snapshot/cache-crypto";
import type { Manifest } from "../shared/snapshot/envelope";
import { asPieces, joinRange, type Pieces, piecesLength } from "../shared/util/pieces";
import type { DpConf } from "./env";

/** KV refuses values over 25 MiB; a larger snapshot is not cached (the node's own storage keeps it). */
export const KV_VALUE_LIMIT = 25 * 1024 * 1024;
const KEY = "lintel:config";

type Meta = { mode: "encrypted" | "unencrypted"; config_hash: string; version: number };

/**
 * The config cache in Workers KV, for a cold start anywhere (a new colo, an evicted node): the
 * signed snapshot as it came from the CP, encrypted with a key derived from the DP's cluster key
 * unless `data_plane_config_cache_mode = unencrypted`. Whatever is read back is verified again by
 * the caller, so a tampered cache is refused.
 */
export class ConfigCache {
  private key: Promise<CryptoKey | undefined> | undefined;

  constructor(
    private readonly kv: KVNamespace | undefined,
    private readonly conf: DpConf,
  ) {}

  get enabled(): boolean {
    return this.kv !== undefined && this.conf.data_plane_config_cache_mode !== "off";
  }

  private aesKey(): Promise<CryptoKey | undefined> {
    this.key ??= cacheKey(this.conf.cluster_cert_key);
    return this.key;
  }

  async write(snapshot: Uint8Array | Pieces, manifest: Manifest): Promise<void> {
    if (!this.kv || !this.enabled) return;
    const pieces = asPieces(snapshot);
    const length = piecesLength(pieces);
    if (length > KV_VALUE_LIMIT) {
      console.error(`[lintel] dp: snapshot of ${length} bytes is over KV's 25 MiB; not cached`);
      return;
    }
    const mode = this.conf.data_plane_config_cache_mode === "unencrypted" ? "unencrypted" : "encrypted";
    // KV takes one value: a snapshot in frames is joined here (25 MiB at most), and in encrypted
    // mode only the sealed copy is kept past the encryption
    let value: Uint8Array;
    if (mode === "encrypted") {
      const key = await this.aesKey();
      if (!key) return;
      value = await sealCache(key, joinRange(pieces, 0, length), manifest.config_hash);
    } else value = joinRange(pieces, 0, length);
    // one key for every colo: a node that applied an older push must not replace a newer entry
    const existing = await this.kv.getWithMetadata<Meta>(KEY, "stream");
    await existing.value?.cancel();
    if (existing.metadata && existing.metadata.version > manifest.version) return;
    const metadata: Meta = { mode, config_hash: manifest.config_hash, version: manifest.version };
    await this.kv.put(KEY, value, { metadata });
  }

  /** The cached snapshot bytes (still to be verified), or undefined. */
  async read(): Promise<Uint8Array | undefined> {
    if (!this.kv || !this.enabled) return undefined;
    const { value, metadata } = await this.kv.getWithMetadata<Meta>(KEY, "arrayBuffer");
    if (!value || !metadata) return undefined;
    const bytes = new Uint8Array(value);
    if (metadata.mode === "unencrypted") {
      // an encrypting node does not take a plain entry: the mode it was given is the policy
      if (this.conf.data_plane_config_cache_mode === "encrypted") return undefined;
      return bytes;
    }
    const key = await this.aesKey();
    const plain = key ? await openCache(key, bytes, metadata.config_hash) : undefined;
    if (!plain) console.error("[lintel] dp: the config cache does not decrypt with this node's key; ignored");
    return plain;
  }
}
