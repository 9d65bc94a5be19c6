/*
 * The router's cache of answers: a fixed number of entries, four to a set, the least recently used
 * of a set replaced. A key is a short list of the request's fields (strings and numbers) compared
 * field by field, so a lookup builds no string and an answer kept allocates nothing.
 */

const WAYS = 4;

/** What `get` answers for a key it does not hold. */
export const MISSING = -2;

export type CacheKey = (string | number | null)[];

/** FNV-1a over the key's fields (a field's end mixed in, so ["ab", "c"] and ["a", "bc"] differ). */
function hashOf(key: CacheKey): number {
  let h = 0x811c9dc5;
  for (let f = 0; f < key.length; f++) {
    const v = key[f] as string | number | null;
    if (v === null) h = Math.imul(h ^ 0xfe, 0x01000193);
    else if (typeof v === "number") h = Math.imul(h ^ v, 0x01000193);
    else for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  return h >>> 0;
}

export class MatchCache {
  private readonly sets: number;
  private readonly fields: (string | number | null | undefined)[];
  private readonly hashes: Uint32Array;
  private readonly answers: Int32Array;
  /** When each entry was last used (0: never). */
  private readonly used: Float64Array;
  private clock = 0;
  /** The hash of the key `get` was last asked for (`set` follows it with the same key). */
  private lastHash = 0;

  /** Holds about `size` answers to keys of `width` fields. */
  constructor(
    size: number,
    private readonly width: number,
  ) {
    this.sets = Math.max(1, Math.ceil(size / WAYS));
    const entries = this.sets * WAYS;
    this.fields = new Array(entries * width).fill(undefined);
    this.hashes = new Uint32Array(entries);
    this.answers = new Int32Array(entries);
    this.used = new Float64Array(entries);
  }

  private same(entry: number, key: CacheKey): boolean {
    const at = entry * this.width;
    for (let f = 0; f < this.width; f++) if (this.fields[at + f] !== key[f]) return false;
    return true;
  }

  /** The answer kept for `key`, or MISSING. */
  get(key: CacheKey): number {
    const h = hashOf(key);
    this.lastHash = h;
    const first = (h % this.sets) * WAYS;
    for (let e = first; e < first + WAYS; e++) {
      if (this.used[e] !== 0 && this.hashes[e] === h && this.same(e, key)) {
        this.used[e] = ++this.clock;
        return this.answers[e] as number;
      }
    }
    return MISSING;
  }

  /** Keeps `answer` for `key`, the key `get` was last asked for, in its set's least recently used entry. */
  set(key: CacheKey, answer: number): void {
    const h = this.lastHash;
    const first = (h % this.sets) * WAYS;
    let entry = first;
    for (let e = first + 1; e < first + WAYS; e++)
      if ((this.used[e] as number) < (this.used[entry] as number)) entry = e;
    this.hashes[entry] = h;
    this.answers[entry] = answer;
    this.used[entry] = ++this.clock;
    const at = entry * this.width;
    for (let f = 0; f < this.width; f++) this.fields[at + f] = key[f];
  }
}
