import type { Manifest } from "../shared/snapshot/envelope";
import { concatBytes } from "../shared/util/bytes";

/** One stored value holds at most this much: SQLite-backed Durable Objects refuse rows over 2 MB. */
export const CHUNK_BYTES = 1024 * 1024;

/** Chunks written by one `put`. */
const PUT_CHUNKS = 8;

type Meta = { manifest: Manifest; chunks: number; bytes: number };

/**
 * The newest verified snapshot, kept in the DP node's own storage, chunked. Writing the meta row
 * last makes a replacement atomic for readers: old chunks stay readable until the new meta points
 * at the new ones.
 */
export class SnapshotStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  async meta(): Promise<Meta | undefined> {
    return this.storage.get<Meta>("snapshot:meta");
  }

  async read(): Promise<{ manifest: Manifest; bytes: Uint8Array } | undefined> {
    const meta = await this.meta();
    if (!meta) return undefined;
    const generation = meta.manifest.version;
    const keys = Array.from({ length: meta.chunks }, (_, i) => `snapshot:${generation}:${i}`);
    const parts = await this.storage.get<Uint8Array>(keys);
    const chunks = keys.map((k) => parts.get(k));
    if (chunks.some((c) => !c)) return undefined;
    return { manifest: meta.manifest, bytes: concatBytes(chunks as Uint8Array[]) };
  }

  async write(manifest: Manifest, bytes: Uint8Array): Promise<void> {
    const previous = await this.meta();
    const generation = manifest.version;
    const n = Math.ceil(bytes.length / CHUNK_BYTES);
    // a few chunks at a time: each is a copy (a view would be stored with all of `bytes`), and
    // a large snapshot is held once already
    for (let first = 0; first < n; first += PUT_CHUNKS) {
      const chunks: Record<string, Uint8Array> = {};
      for (let i = first; i < Math.min(n, first + PUT_CHUNKS); i++) {
        chunks[`snapshot:${generation}:${i}`] = bytes.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
      }
      await this.storage.put(chunks);
    }
    await this.storage.put("snapshot:meta", { manifest, chunks: n, bytes: bytes.length } satisfies Meta);
    if (previous && previous.manifest.version !== generation) {
      const old = Array.from(
        { length: previous.chunks },
        (_, i) => `snapshot:${previous.manifest.version}:${i}`,
      );
      await this.storage.delete(old);
    }
  }
}
