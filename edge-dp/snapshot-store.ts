import { hotEnd, hotPart } from "../shared/snapshot/codec";
import type { Manifest } from "../shared/snapshot/envelope";
import { concatBytes } from "../shared/util/bytes";
import { asPieces, type Pieces, piecesLength, slicePieces } from "../shared/util/pieces";

/** One stored value holds at most this much: SQLite-backed Durable Objects refuse rows over 2 MB. */
export const CHUNK_BYTES = 1024 * 1024;

/** Chunks written by one `put`. */
const PUT_CHUNKS = 8;

/**
 * `gen`: the number the chunks are stored under, one more with every write (a node before it used
 * the manifest's version, which a snapshot of another epoch may repeat). `hot`: where the hot part
 * ends (the length prefix, the signature and the hot section), absent in what a node before it
 * wrote.
 */
type Meta = { manifest: Manifest; chunks: number; bytes: number; gen?: number; hot?: number };

const generationOf = (meta: Meta) => meta.gen ?? meta.manifest.version;

/**
 * The newest verified snapshot, kept in the DP node's own storage, chunked. Chunks are written
 * under a new number and the meta row last, so a replacement is atomic for readers: old chunks
 * stay whole and readable until the new meta points at the new ones.
 */
export class SnapshotStore {
  constructor(private readonly storage: DurableObjectStorage) {}

  async meta(): Promise<Meta | undefined> {
    return this.storage.get<Meta>("snapshot:meta");
  }

  /**
   * The stored snapshot; `hot`: only its hot part (what `hotPart` gives), read from the chunks
   * that hold it and no others.
   */
  async read(hot = false): Promise<{ manifest: Manifest; bytes: Uint8Array } | undefined> {
    const meta = await this.meta();
    if (!meta) return undefined;
    const generation = generationOf(meta);
    const end = hot && meta.hot !== undefined ? meta.hot : meta.bytes;
    const keys = Array.from(
      { length: Math.ceil(end / CHUNK_BYTES) },
      (_, i) => `snapshot:${generation}:${i}`,
    );
    // storage.get takes at most 128 keys at once
    const chunks: Array<Uint8Array | undefined> = [];
    for (let i = 0; i < keys.length; i += 128) {
      const batch = keys.slice(i, i + 128);
      const parts = await this.storage.get<Uint8Array>(batch);
      for (const k of batch) chunks.push(parts.get(k));
    }
    if (chunks.some((c) => !c)) return undefined;
    const bytes = concatBytes(chunks as Uint8Array[]);
    const wanted = hot ? hotPart(bytes, meta.manifest) : bytes;
    return { manifest: meta.manifest, bytes: wanted.length === bytes.length ? bytes : wanted.slice() };
  }

  async write(manifest: Manifest, bytes: Uint8Array | Pieces): Promise<void> {
    const previous = await this.meta();
    // chunks under a number of their own: the current ones stay whole until the meta moves on
    const generation = previous ? generationOf(previous) + 1 : 1;
    const pieces = asPieces(bytes);
    const length = piecesLength(pieces);
    const n = Math.ceil(length / CHUNK_BYTES);
    // a few chunks at a time: each a copy unless a frame is that chunk exactly, and a large
    // snapshot is held once already
    for (let first = 0; first < n; first += PUT_CHUNKS) {
      const chunks: Record<string, Uint8Array> = {};
      for (let i = first; i < Math.min(n, first + PUT_CHUNKS); i++) {
        chunks[`snapshot:${generation}:${i}`] = chunk(
          pieces,
          i * CHUNK_BYTES,
          Math.min(length, (i + 1) * CHUNK_BYTES),
        );
      }
      await this.storage.put(chunks);
    }
    const hot = hotEnd(pieces, manifest);
    const meta: Meta = { manifest, chunks: n, bytes: length, gen: generation, hot };
    await this.storage.put("snapshot:meta", meta);
    if (previous) {
      const old = Array.from(
        { length: previous.chunks },
        (_, i) => `snapshot:${generationOf(previous)}:${i}`,
      );
      // storage.delete takes at most 128 keys at once
      for (let i = 0; i < old.length; i += 128) await this.storage.delete(old.slice(i, i + 128));
    }
  }
}

/**
 * The bytes [start, end) as one value to store: a piece that is exactly those bytes and its whole
 * buffer is stored as it is (a frame); anything else is copied, since a view would be stored with
 * all of the buffer behind it.
 */
function chunk(pieces: Pieces, start: number, end: number): Uint8Array {
  const parts = slicePieces(pieces, start, end);
  const only = parts.length === 1 ? (parts[0] as Uint8Array) : undefined;
  if (only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) return only;
  return only ? only.slice() : concatBytes(parts);
}
