import { crc32Combine } from "../../shared/util/crc32";
import { RunCache } from "./run-cache";

/**
 * Compresses a run of text, as UTF-8, into raw deflate blocks that end on a byte boundary with the
 * dictionary reset (zlib's full flush) and no final block, with the CRC-32 and length of its bytes:
 * such runs may be joined in any order into one deflate stream. It may answer later: a thread of
 * its own may encode and compress the text while this one makes the next.
 */
export type FlushDeflate = (text: string) => Part | Promise<Part>;

export type Deflated = { deflated: Uint8Array; crc: number };

/** Text compressed on its own and kept while the same `records` make it with the same `tag`. */
export type Segment = {
  readonly tag: string;
  readonly records: readonly object[];
  text(): string;
};

/** Text compressed on its own: its deflate blocks, their CRC-32 and the bytes they inflate to. */
export type Part = Deflated & { size: number };

/** Text compressed elsewhere (another thread, another build) into parts, taken as they are. */
export type Compressed = { readonly compressed: readonly Part[] | Promise<readonly Part[]> };

/** Pieces handed to `deflate` by `start`, joined by `finish`. */
export type Started = { readonly parts: Promise<Part[]> };

/** A final, empty deflate block (fixed Huffman codes: BFINAL, BTYPE 01, end of block). */
const FINAL_BLOCK = Uint8Array.of(0x03, 0x00);
const HEADER = Uint8Array.of(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff);

/**
 * One gzip member made of pieces: literal text, compressed each time, and segments, compressed once
 * and reused by later builds while their records and tag stay the same. The result inflates like
 * any gzip (a dictionary reset costs a little ratio at each segment's start). A large config that
 * changes in one entity recompresses that entity's segment and the literals between segments.
 */
export class SegmentedGzip {
  private readonly segments = new RunCache<Part | Promise<Part>>();

  constructor(private readonly deflate: FlushDeflate) {}

  /**
   * Starts compressing the pieces: each piece's text is made and handed to `deflate` in turn
   * without waiting for the last, so that an asynchronous `deflate` compresses on other threads
   * while this one makes the next text, and whatever the caller does before `finish`.
   */
  start(pieces: Iterable<string | Segment | Compressed>): Started {
    const pending: Array<Part | Promise<Part> | readonly Part[] | Promise<readonly Part[]>> = [];
    let literal = "";
    const flush = () => {
      if (literal === "") return;
      pending.push(this.deflate(literal));
      literal = "";
    };
    for (const piece of pieces) {
      if (typeof piece === "string") {
        literal += piece;
        continue;
      }
      flush();
      if ("compressed" in piece) pending.push(piece.compressed);
      else pending.push(this.segments.get(piece.tag, piece.records, () => this.deflate(piece.text())));
    }
    flush();
    const parts = Promise.all(pending).then((all) => all.flat());
    // a failure is the caller's to see at `finish`, not an unhandled rejection before it
    parts.catch(() => undefined);
    return { parts };
  }

  /**
   * The started pieces as one gzip member, behind a literal `lead` made since, with the number of
   * bytes they inflate to.
   */
  async finish(started: Started, lead = ""): Promise<{ gzip: Uint8Array; size: number }> {
    const first = lead === "" ? [] : [await this.deflate(lead)];
    const parts = [...first, ...(await started.parts)];
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
    const { made, reused } = this.segments.commit();
    return { compressed: made, reused };
  }

  /**
   * Ends a build that failed: what it compressed is dropped (a compression that failed must not be
   * reused), and the segments of the build before are kept.
   */
  abandon(): void {
    this.segments.abandon();
  }
}
