/**
 * Kong's route priority for the `traditional_compatible` router, as Kong 3.x computes it on
 * x86-64, which is not what its source comment describes: three of the shifts run as signed
 * 32-bit operations with the shift count taken modulo 32 (kong/router/transform.lua,
 * `lshift_uint64`), and a negative 32-bit value reaches the ATC router as 2^63. Users' route
 * order depends on the arithmetic that runs, so that is what is reproduced here.
 */

/** What the priority is made of, for one matcher (a route, or one path group of a split route). */
export type PriorityInput = {
  /** Fields set among sources, destinations, methods, hosts, headers, snis and paths. */
  weight: number;
  /** Distinct header names, at most 255. */
  headerCount: number;
  /** `hosts` is a list (even an empty one) and no entry has a wildcard. */
  plainHostsOnly: boolean;
  /** The first path is a regex. */
  regex: boolean;
  /** `regex_priority`, counted only for a regex path. */
  regexPriority: number;
  /** Byte length of the first path when it is a prefix, else 0. */
  prefixLength: number;
};

const TOP = 1n << 63n;
const PLAIN_HOST_ONLY_BIT = 1n << 60n;
const REGEX_URL_BIT = 1n << 51n;
const MAX_HEADER_COUNT = 255;

/** A signed 32-bit result as the ATC router receives it through a `uintptr_t` on x86-64. */
const unsigned = (n: number): bigint => (n >= 0 ? BigInt(n) : TOP);

export function kongPriority(p: PriorityInput): bigint {
  // JavaScript's `<<` is LuaJIT's `bit.lshift`: ToInt32, shift count modulo 32, signed result
  const w = p.weight << 61;
  const h = Math.min(p.headerCount, MAX_HEADER_COUNT) << 52;
  const r = p.regex ? p.regexPriority << 19 : 0;
  const l = p.prefixLength & 0x7ffff;
  if (!p.plainHostsOnly && !p.regex) return unsigned(w | h | l);
  let out = unsigned(w) | BigInt(h) | unsigned(r) | BigInt(l);
  if (p.plainHostsOnly) out |= PLAIN_HOST_ONLY_BIT;
  if (p.regex) out |= REGEX_URL_BIT;
  return out;
}

/**
 * The ATC router's order: higher priority first; equal priorities by the matcher's UUID, larger
 * first (its matchers sit in a map keyed by (priority, uuid), walked from the top).
 */
export function compareMatchers(a: Ordered, b: Ordered): number {
  if (a.high !== b.high) return b.high - a.high;
  if (a.low !== b.low) return b.low - a.low;
  return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
}

/** A priority split in two exact numbers, so that sorting many matchers compares no BigInts. */
export type Ordered = { high: number; low: number; id: string };

export function orderKey(priority: bigint, id: string): Ordered {
  return { high: Number(priority >> 32n), low: Number(priority & 0xffffffffn), id };
}
