import { crc32Combine } from "../../shared/util/crc32";

/**
 * Compresses a run of bytes as raw deflate blocks that end on a byte boundary with the dictionary
 * reset (zlib's full flush) and no final block, with the CRC-32 of the input: such runs may be
 * joined in any order into one deflate stream.
 */
export type FlushDeflate = (bytes: Uint8Array) => { deflated: Uint8Array; crc: number };

/** Text compressed on its own and kept while the same `records` make it with the same `tag`. */
export type Segment = {
  readonly tag: string;
  readonly records: readonly object[];
  text(): string;
};

type Compressed = {
  tag: string;
  records: readonly object[];
  deflated: Uint8Array;
  crc: number;
  size: number;
};

const encoder = new TextEncoder();
/** A final, empty deflate block (fixed Huffman codes: BFINAL, BTYPE 01, end of block). */
const FINAL_BLOCK = Uint8Array.of(0x03, 0x00);
const HEADER = Uint8Array.of(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff);

const sameRecords = (a: readonly object[], b: readonly object[]) =>
  a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * One gzip member made of pieces: literal text, compressed each time, and segments, compressed once
 * and reused by later builds while their records and tag stay the same. The result inflates like
 * any gzip (a dictionary reset costs a little ratio at each segment's start). A large config that
 * changes in one entity recompresses that entity's segment and the literals between segments.
 */
export class SegmentedGzip {
  private kept = new Map<object, Compressed>();
  private used = new Map<object, Compressed>();
  private compressed = 0;
  private reused = 0;

  constructor(private readonly deflate: FlushDeflate) {}

  /** The pieces in order, as gzip, with the number of bytes they inflate to. */
  gzip(pieces: Iterable<string | Segment>): { gzip: Uint8Array; size: number } {
    const parts: Array<{ deflated: Uint8Array; crc: number; size: number }> = [];
    let literal = "";
    const flush = () => {
      if (literal === "") return;
      const bytes = encoder.encode(literal);
      parts.push({ ...this.deflate(bytes), size: bytes.length });
      literal = "";
    };
    for (const piece of pieces) {
      if (typeof piece === "string") {
        literal += piece;
        continue;
      }
      flush();
      parts.push(this.segment(piece));
    }
    flush();
    let crc = 0;
    let size = 0;
    let length = HEADER.length + FINAL_BLOCK.length + 8;
    for (const p of parts) {
      crc = crc32Combine(crc, p.crc, p.size);
      size += p.size;
      length += p.deflated.length;
    }
    const out = new Uint8Array(length);
    out.set(HEADER);
    let at = HEADER.length;
    for (const p of parts) {
      out.set(p.deflated, at);
      at += p.deflated.length;
    }
    out.set(FINAL_BLOCK, at);
    at += FINAL_BLOCK.length;
    const trailer = new DataView(out.buffer, at, 8);
    trailer.setUint32(0, crc, true);
    trailer.setUint32(4, size % 2 ** 32, true);
    return { gzip: out, size };
  }

  /**
   * Ends a build: segments it did not use are forgotten. Returns how many segments the build
   * compressed and how many it reused.
   */
  commit(): { compressed: number; reused: number } {
    this.kept = this.used;
    this.used = new Map();
    const counts = { compressed: this.compressed, reused: this.reused };
    this.compressed = 0;
    this.reused = 0;
    return counts;
  }

  private segment(s: Segment): Compressed {
    const first = s.records[0] ?? s;
    const old = this.used.get(first) ?? this.kept.get(first);
    if (old && old.tag === s.tag && sameRecords(old.records, s.records)) {
      this.used.set(first, old);
      this.reused++;
      return old;
    }
    const bytes = encoder.encode(s.text());
    const made = { tag: s.tag, records: s.records, ...this.deflate(bytes), size: bytes.length };
    this.used.set(first, made);
    this.compressed++;
    return made;
  }
}
