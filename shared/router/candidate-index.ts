import type { Matcher } from "./route-matcher";

type Edge = { label: string; node: PrefixNode };

/**
 * A node of a radix tree of path prefixes: the ranks of the keys that end here, and the edges on,
 * found by their first character (`firsts` holds them in the edges' order: a short string searched
 * faster than a map is hashed).
 */
type PrefixNode = { ranks: number[] | undefined; firsts: string; edges: Edge[] };

const newNode = (): PrefixNode => ({ ranks: undefined, firsts: "", edges: [] });

function edgeOf(node: PrefixNode, first: string): Edge | undefined {
  const i = node.firsts.indexOf(first);
  return i < 0 ? undefined : node.edges[i];
}

function addEdge(node: PrefixNode, edge: Edge): void {
  node.firsts += edge.label[0];
  node.edges.push(edge);
}

/**
 * The matchers that may match a given path, by rank (their place in Kong's order): those whose
 * paths all begin with known text (prefixes, and regexes with a literal start) in a radix tree
 * walked once along the request path, the rest always.
 */
export class Bucket {
  private readonly root = newNode();
  private readonly always: number[] = [];

  add(m: Matcher, rank: number): void {
    const keys = (m.paths ?? []).map((p) => ("prefix" in p ? p.prefix : p.literal));
    if (keys.length === 0 || keys.some((k) => k === "")) {
      this.always.push(rank);
      return;
    }
    for (const key of keys) {
      const node = insert(this.root, key);
      if (!node.ranks) node.ranks = [rank];
      else if (node.ranks[node.ranks.length - 1] !== rank) node.ranks.push(rank);
    }
  }

  /** Adds to `into` lists of ranks, each ascending, whose union holds every matcher that may match `text`. */
  collect(text: string, into: number[][]): void {
    if (this.always.length) into.push(this.always);
    let node = this.root;
    let at = 0;
    while (at < text.length) {
      const i = node.firsts.indexOf(text[at] as string);
      if (i < 0) return;
      const edge = node.edges[i] as Edge;
      if (!text.startsWith(edge.label, at)) return;
      at += edge.label.length;
      node = edge.node;
      if (node.ranks) into.push(node.ranks);
    }
  }
}

/** The node of `key` under `root`, made (and edges split) as needed. */
function insert(root: PrefixNode, key: string): PrefixNode {
  let node = root;
  let at = 0;
  while (at < key.length) {
    const edge = edgeOf(node, key[at] as string);
    if (!edge) {
      const leaf = newNode();
      addEdge(node, { label: key.slice(at), node: leaf });
      return leaf;
    }
    let common = 0;
    const label = edge.label;
    while (common < label.length && at + common < key.length && label[common] === key[at + common]) common++;
    if (common < label.length) {
      // the key ends or turns inside the edge: split it (the edge keeps its first character)
      const mid = newNode();
      addEdge(mid, { label: label.slice(common), node: edge.node });
      edge.label = label.slice(0, common);
      edge.node = mid;
    }
    node = edge.node;
    at += common;
  }
  return node;
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
  /** Whether some suffix (prefix) has a given length: a host is cut only where one may be found. */
  private readonly suffixLengths: boolean[] = [];
  private readonly prefixLengths: boolean[] = [];
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
          this.suffixLengths[h.suffix.length] = true;
          bucketOf(this.suffix, h.suffix).add(m, rank);
        } else if (h.prefix !== undefined) {
          if (!h.prefix.endsWith(".") && !this.oddPrefixes.includes(h.prefix))
            this.oddPrefixes.push(h.prefix);
          this.prefixLengths[h.prefix.length] = true;
          bucketOf(this.prefix, h.prefix).add(m, rank);
        }
      }
    });
  }

  /**
   * Adds to `into` the candidate lists of a request for `host` and `text` (the path): those of
   * every bucket whose matchers may match the host.
   */
  collect(host: string, text: string, into: number[][]): void {
    this.anyHost.collect(text, into);
    this.exact.get(host)?.collect(text, into);
    if (this.suffix.size) {
      for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
        if (this.suffixLengths[host.length - i]) this.suffix.get(host.slice(i))?.collect(text, into);
      }
      for (const s of this.oddSuffixes) if (host.endsWith(s)) this.suffix.get(s)?.collect(text, into);
    }
    if (this.prefix.size) {
      for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) {
        if (this.prefixLengths[i + 1]) this.prefix.get(host.slice(0, i + 1))?.collect(text, into);
      }
      for (const p of this.oddPrefixes) if (host.startsWith(p)) this.prefix.get(p)?.collect(text, into);
    }
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
