/**
 * IP addresses and CIDR blocks, v4 and v6, as 128-bit numbers (v4 mapped into ::ffff:0:0/96), for
 * `trusted_ips` and IP rules.
 */

/** A block, with the text it was written as. */
export type Cidr = { base: bigint; bits: number; text: string };

function parseV4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    text = `${text.slice(0, lastColon + 1)}x`;
    text = text.endsWith("::x") ? text.slice(0, -1) : text.slice(0, -2);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === "" ? [] : h.split(":"));
  const head = group(halves[0] ?? "");
  const rest = halves.length === 2 ? group(halves[1] ?? "") : [];
  const words = [...head, ...rest].map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? BigInt(`0x${w}`) : undefined));
  if (words.some((w) => w === undefined)) return undefined;
  const total = words.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const zeros = Array<bigint>(8 - total).fill(0n);
  const all = [
    ...(words.slice(0, head.length) as bigint[]),
    ...(halves.length === 2 ? zeros : []),
    ...(words.slice(head.length) as bigint[]),
    ...tail,
  ];
  return all.reduce((n, w) => (n << 16n) | w, 0n);
}

const V4_MAPPED = 0xffffn << 32n;

/** An address as a 128-bit number, or undefined when it is not one. */
export function parseIp(s: string): bigint | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return V4_MAPPED | v4;
  return s.includes(":") ? parseV6(s.replace(/^\[|\]$/g, "")) : undefined;
}

/** `a.b.c.d[/n]` or `v6[/n]`, or undefined when it is neither. */
export function parseCidr(s: string): Cidr | undefined {
  const [addr = "", len] = s.split("/");
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  const v4 = parseV4(addr) !== undefined;
  const max = v4 ? 32 : 128;
  const n = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : Number.NaN;
  if (!(n >= 0 && n <= max)) return undefined;
  const bits = v4 ? 96 + n : n;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  return { base: ip & mask, bits, text: s };
}

export function cidrContains(c: Cidr, ip: bigint): boolean {
  const mask = c.bits === 0 ? 0n : ((1n << BigInt(c.bits)) - 1n) << BigInt(128 - c.bits);
  return (ip & mask) === c.base;
}
