import type { Matcher } from "./route-matcher";

/**
 * The matchers that may match a given path, by rank (their place in Kong's order): those whose
 * paths all begin with known text (prefixes, and regexes with a literal start) found by the
 * request path's own prefixes (one lookup per distinct length), the rest always.
 */
export class Bucket {
  private readonly byLength = new Map<number, Map<string, number[]>>();
  private lengths: number[] = [];
  private readonly always: number[] = [];

  add(m: Matcher, rank: number): void {
    const keys = (m.paths ?? []).map((p) => ("prefix" in p ? p.prefix : p.literal));
    if (keys.length === 0 || keys.some((k) => k === "")) {
      this.always.push(rank);
      return;
    }
    for (const key of keys) {
      let table = this.byLength.get(key.length);
      if (!table) {
        table = new Map();
        this.byLength.set(key.length, table);
        this.lengths = [...this.byLength.keys()].sort((a, b) => a - b);
      }
      const list = table.get(key);
      if (!list) table.set(key, [rank]);
      else if (list[list.length - 1] !== rank) list.push(rank);
    }
  }

  /** Adds to `into` lists of ranks, each ascending, whose union holds every matcher that may match `text`. */
  collect(text: string, into: number[][]): void {
    if (this.always.length) into.push(this.always);
    for (const length of this.lengths) {
      if (length > text.length) break;
      const list = this.byLength.get(length)?.get(text.slice(0, length));
      if (list) into.push(list);
    }
  }
}

/**
 * Matchers by the hosts they ask for: exact names, `*.suffix` and `prefix.*` wildcards (found by
 * the request host's own labels), and those that ask for no host.
 */
export class CandidateIndex {
  private readonly exact = new Map<string, Bucket>();
  private readonly suffix = new Map<string, Bucket>();
  private readonly prefix = new Map<string, Bucket>();
  private readonly anyHost = new Bucket();
  private readonly oddSuffixes: string[] = [];
  private readonly oddPrefixes: string[] = [];

  /** `matchers` in Kong's order: a matcher's index is its rank. */
  constructor(matchers: readonly Matcher[]) {
    matchers.forEach((m, rank) => {
      if (!m.hosts) {
        this.anyHost.add(m, rank);
        return;
      }
      for (const h of m.hosts) {
        if (h.exact !== undefined) bucketOf(this.exact, h.exact).add(m, rank);
        else if (h.suffix !== undefined) {
          if (!h.suffix.startsWith(".") && !this.oddSuffixes.includes(h.suffix))
            this.oddSuffixes.push(h.suffix);
          bucketOf(this.suffix, h.suffix).add(m, rank);
        } else if (h.prefix !== undefined) {
          if (!h.prefix.endsWith(".") && !this.oddPrefixes.includes(h.prefix))
            this.oddPrefixes.push(h.prefix);
          bucketOf(this.prefix, h.prefix).add(m, rank);
        }
      }
    });
  }

  /** The buckets whose matchers may match a request for `host`. */
  buckets(host: string): Bucket[] {
    const out: Bucket[] = [this.anyHost];
    const exact = this.exact.get(host);
    if (exact) out.push(exact);
    if (this.suffix.size) {
      for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
        const b = this.suffix.get(host.slice(i));
        if (b) out.push(b);
      }
      for (const s of this.oddSuffixes) if (host.endsWith(s)) out.push(this.suffix.get(s) as Bucket);
    }
    if (this.prefix.size) {
      for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
        const b = this.prefix.get(host.slice(0, i + 1));
        if (b) out.push(b);
      }
      for (const p of this.oddPrefixes) if (host.startsWith(p)) out.push(this.prefix.get(p) as Bucket);
    }
    return out;
  }
}

function bucketOf(map: Map<string, Bucket>, key: string): Bucket {
  let b = map.get(key);
  if (!b) {
    b = new Bucket();
    map.set(key, b);
  }
  return b;
}
