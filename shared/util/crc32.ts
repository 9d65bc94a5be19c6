/*
 * CRC-32 as gzip uses it (ISO-HDLC: reflected, polynomial 0x04C11DB7), and the combination of two
 * CRCs: the CRC of A followed by B from the CRC of each and B's length. Reflected polynomials over
 * GF(2) are held in 32 bits with bit 31 as x^0.
 */

const POLY = 0xedb88320;
const X0 = 0x80000000;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 of some bytes, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** a·b modulo the polynomial. */
function multiply(a: number, b: number): number {
  let m = X0;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, k = 0..31 (the powers repeat with period 2^32 - 1 beyond). */
const squares: number[] = [];
function square(k: number): number {
  if (squares.length === 0) {
    let p = X0 >>> 1; // x^1
    for (let i = 0; i < 32; i++) {
      squares.push(p);
      p = multiply(p, p);
    }
  }
  return squares[k & 31] as number;
}

/** x^(8n) modulo the polynomial: what appending n zero bytes multiplies a CRC by. */
function shiftBytes(n: number): number {
  let p = X0;
  let k = 3;
  while (n > 0) {
    if (n % 2 === 1) p = multiply(square(k), p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A followed by B, from crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiply(shiftBytes(lengthB), crcA) ^ crcB) >>> 0;
}
