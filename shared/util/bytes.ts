/** Byte helpers shared by both sides; only what ES2022 and Web APIs give. */

export const utf8 = new TextEncoder();

/**
 * Web APIs take bytes backed by an ArrayBuffer (never a SharedArrayBuffer); every byte array in
 * Lintel is one, so this only tells the compiler so.
 */
export const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;
export const fromUtf8 = new TextDecoder();

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/\s+/g, ""));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    bin += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(bin);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", buf(bytes))));
}

/** The most bytes `streamOf` hands over at once. */
const STREAM_PIECE = 64 * 1024;

/**
 * `bytes` (one array, or several end to end) as a stream of views of them, each read when the
 * reader asks for it: a Blob would first copy them whole (a large snapshot's cold section held
 * twice while inflated).
 */
export function streamOf(bytes: Uint8Array | readonly Uint8Array[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
  let piece = 0;
  let at = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      for (let p = pieces[piece]; p; p = pieces[++piece], at = 0) {
        if (at < p.length) {
          controller.enqueue(buf(p.subarray(at, at + STREAM_PIECE)));
          at += STREAM_PIECE;
          return;
        }
      }
      controller.close();
    },
  });
}

async function pipeThrough(bytes: Uint8Array, stream: CompressionStream | DecompressionStream) {
  const chunks: Uint8Array[] = [];
  const reader = streamOf(bytes).pipeThrough(stream).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return concatBytes(chunks);
}

export function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipeThrough(bytes, new CompressionStream("gzip"));
}

/**
 * Inflates at most `limit` bytes; a larger result is refused before it is held in memory
 * (a small gzip can expand a thousandfold).
 */
export async function gunzip(bytes: Uint8Array, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = streamOf(bytes).pipeThrough(new DecompressionStream("gzip")).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
