import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, sha256Hex, toHex } from "./bytes";

/**
 * Bytes held in pieces, end to end: a large snapshot as its frames arrived. Joining them would
 * make the DP node hold the snapshot twice, and store it by copying it a third time.
 */
export type Pieces = readonly Uint8Array[];

/** One array as pieces (itself, not a copy). */
export const asPieces = (bytes: Uint8Array | Pieces): Pieces =>
  bytes instanceof Uint8Array ? [bytes] : bytes;

export const piecesLength = (pieces: Pieces): number => pieces.reduce((n, p) => n + p.length, 0);

/** Views of the pieces that cover the bytes [start, end). */
export function slicePieces(pieces: Pieces, start: number, end: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of pieces) {
    if (at >= end) break;
    const from = Math.max(start, at);
    const to = Math.min(end, at + p.length);
    if (from < to) out.push(p.subarray(from - at, to - at));
    at += p.length;
  }
  return out;
}

/** The bytes [start, end) in one array: a view when one piece holds them all, else a copy. */
export function joinRange(pieces: Pieces, start: number, end: number): Uint8Array {
  const parts = slicePieces(pieces, start, end);
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
}

/** workerd's streaming digest (`crypto.DigestStream`), where the runtime has it. */
type DigestStreamClass = new (
  algorithm: string,
) => WritableStream<Uint8Array> & { readonly digest: Promise<ArrayBuffer> };
const DigestStream = (globalThis as { crypto?: { DigestStream?: DigestStreamClass } }).crypto?.DigestStream;

/**
 * SHA-256 of the pieces end to end, in hex: WebCrypto over one piece; over several, the runtime's
 * streaming digest where it has one (native, and it lets other events in between pieces), else
 * step by step in JavaScript.
 */
export async function sha256HexOf(pieces: Pieces): Promise<string> {
  if (pieces.length === 1) return sha256Hex(pieces[0] as Uint8Array);
  if (DigestStream) {
    const stream = new DigestStream("SHA-256");
    const writer = stream.getWriter();
    for (const p of pieces) await writer.write(p);
    await writer.close();
    return toHex(new Uint8Array(await stream.digest));
  }
  const hash = sha256.create();
  for (const p of pieces) hash.update(p);
  return toHex(hash.digest());
}
