import { readFileSync, writeSync } from "node:fs";

/** `Config.v8Flags` is the third pointer of workerd's root `Config` struct (workerd.capnp). */
const V8_FLAGS_POINTER = 2;

/**
 * Returns workerd's binary config (a Cap'n Proto message, as Miniflare sends it on workerd's
 * stdin) with `v8Flags` set to `flags`. Miniflare has no option for them, and the tests need one:
 * `--max-heap-size` gives workerd's isolates the hard heap limit that Workers have at the edge.
 *
 * The flags are appended to the first segment, where the root struct is: its pointers are relative
 * and the other segments are reached by segment number, so nothing already there moves.
 */
export function withV8Flags(message: Uint8Array, flags: string[]): Uint8Array {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const segments = view.getUint32(0, true) + 1;
  const sizes = Array.from({ length: segments }, (_, i) => view.getUint32(4 + 4 * i, true));
  const headerBytes = Math.ceil((4 + 4 * segments) / 8) * 8;
  const firstBytes = (sizes[0] ?? 0) * 8;
  if (headerBytes + sizes.reduce((a, b) => a + b, 0) * 8 !== message.byteLength)
    throw new Error("not a single unpacked Cap'n Proto message");

  const root = view.getBigUint64(headerBytes, true);
  if ((root & 3n) !== 0n) throw new Error("the config's root pointer is not a struct pointer");
  const rootOffset = Number(BigInt.asIntN(30, (root >> 2n) & 0x3fffffffn));
  const dataWords = Number((root >> 32n) & 0xffffn);
  const pointerWords = Number((root >> 48n) & 0xffffn);
  if (pointerWords <= V8_FLAGS_POINTER) throw new Error("the config's root struct has no v8Flags pointer");
  const slot = 1 + rootOffset + dataWords + V8_FLAGS_POINTER; // in words from the segment's start

  // appended: a list of text pointers, then each flag's bytes with their NUL, padded to words
  const texts = flags.map((f) => new TextEncoder().encode(`${f}\0`));
  const added = flags.length + texts.reduce((n, t) => n + Math.ceil(t.length / 8), 0);
  const first = new Uint8Array(firstBytes + added * 8);
  first.set(message.subarray(headerBytes, headerBytes + firstBytes));
  const out = new DataView(first.buffer);
  const start = sizes[0] ?? 0;
  out.setBigUint64(slot * 8, listPointer(start - (slot + 1), POINTER_ELEMENTS, flags.length), true);
  let at = start + flags.length;
  texts.forEach((text, i) => {
    out.setBigUint64((start + i) * 8, listPointer(at - (start + i + 1), BYTE_ELEMENTS, text.length), true);
    first.set(text, at * 8);
    at += Math.ceil(text.length / 8);
  });

  const header = new Uint8Array(headerBytes);
  header.set(message.subarray(0, headerBytes));
  new DataView(header.buffer).setUint32(4, start + added, true);
  const rest = message.subarray(headerBytes + firstBytes);
  const result = new Uint8Array(headerBytes + first.length + rest.length);
  result.set(header);
  result.set(first, headerBytes);
  result.set(rest, headerBytes + first.length);
  return result;
}

const BYTE_ELEMENTS = 2n;
const POINTER_ELEMENTS = 6n;

/** A Cap'n Proto list pointer: kind 1, offset in words from the pointer's end, element size, count. */
function listPointer(offset: number, elementSize: bigint, count: number): bigint {
  return 1n | (BigInt.asUintN(30, BigInt(offset)) << 2n) | (elementSize << 32n) | (BigInt(count) << 35n);
}

// Run by workerd-v8-flags.sh: the config on stdin, the flags as arguments, the config out on stdout.
if (process.argv[1]?.endsWith("v8-flags.ts")) {
  const patched = withV8Flags(readFileSync(0), process.argv.slice(2));
  for (let done = 0; done < patched.length; ) done += writeSync(1, patched, done);
}
