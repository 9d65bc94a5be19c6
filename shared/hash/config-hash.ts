import { md5 as nobleMd5 } from "@noble/hashes/legacy.js";
import { toHex } from "../util/bytes";
import { luaNumber } from "./lua-number";

/*
 * Kong's `calculate_config_hash` (kong/clustering/config_helper.lua), so that a Lintel CP and a Kong
 * CP give the same hash for the same config: values are written into one byte buffer in a
 * canonical order (map keys sorted bytewise, arrays joined with ";"), and whenever the buffer has
 * grown past 1,000,000 bytes it is replaced by its own raw MD5 before the next value is written.
 */

export const EMPTY_CONFIG_HASH = "0".repeat(32);
const FOLD_AT = 1_000_000;

/** MD5 of some bytes: a runtime's own (faster) may stand in for the portable one. */
export type Md5 = (bytes: Uint8Array) => Uint8Array;

/**
 * Items of an array written together, as Kong writes the items of an array of more than five: each
 * item's bytes followed by ";". `ends[i]` is where item i's own bytes end (its ";" is the byte
 * there). Written again, it gives the bytes writing the items would, at a copy's cost: a control
 * plane keeps one per run of entities between exports and hashes only the runs that changed.
 */
export class PrewrittenRun {
  constructor(
    readonly bytes: Uint8Array,
    readonly ends: Uint32Array,
    readonly items: readonly unknown[],
  ) {}
}

/**
 * An array given as runs of its items, prewritten: hashed as the array of those items is. The runs
 * are asked for when the array is written, so that each may be made just before it is hashed.
 */
export class PrewrittenArray {
  constructor(
    readonly length: number,
    /** The items themselves. */
    readonly items: () => readonly unknown[],
    /** Runs that hold every item, in order. */
    readonly runs: () => Iterable<PrewrittenRun>,
  ) {}
}

class Sink {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private readonly encoder = new TextEncoder();

  constructor(readonly md5: Md5) {}

  get length(): number {
    return this.len;
  }

  put(text: string): void {
    this.reserve(text.length * 3);
    // most values are short ASCII: copied as they are, without a call into the encoder
    if (text.length < 64) {
      const buf = this.buf;
      let at = this.len;
      let i = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0x7f) break;
        buf[at++] = c;
      }
      if (i === text.length) {
        this.len = at;
        return;
      }
    }
    this.len += this.encoder.encodeInto(text, this.buf.subarray(this.len)).written;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  set(bytes: Uint8Array): void {
    this.len = 0;
    this.reserve(bytes.length);
    this.buf.set(bytes);
    this.len = bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private reserve(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** Code point order from index `i` on (surrogate pairs read as one code point). */
function compareCodePoints(a: string, b: string, i: number): number {
  for (;;) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x === undefined || y === undefined) return x === undefined ? (y === undefined ? 0 : -1) : 1;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
}

const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;

/**
 * Lua's `sort` on string keys compares bytes; for UTF-8 that is code point order. UTF-16 code units
 * give the same order unless a surrogate is involved, so only then are code points compared.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return isSurrogate(x) || isSurrogate(y) ? compareCodePoints(a, b, i) : x - y;
  }
  return a.length - b.length;
}

/**
 * The orders of the last few key sets sorted: a config's entities of one type have the same keys
 * in the same order (Object.keys gives the same strings), so most objects skip the sort.
 */
const sortedOrders: Array<{ keys: string[]; sorted: string[] }> = [];

function sortedKeys(map: Record<string, unknown>): string[] {
  const keys = Object.keys(map);
  for (const known of sortedOrders) {
    const k = known.keys;
    if (k.length !== keys.length) continue;
    let same = true;
    for (let i = 0; i < k.length; i++) {
      if (k[i] !== keys[i]) {
        same = false;
        break;
      }
    }
    if (same) return known.sorted;
  }
  const sorted = [...keys].sort(compareKeys);
  sortedOrders.unshift({ keys, sorted });
  if (sortedOrders.length > 8) sortedOrders.pop();
  return sorted;
}

/** How Kong writes a value that is not a table (nil, string, number, boolean); undefined for a table. */
function scalar(value: unknown): string | undefined {
  if (value === null || value === undefined) return "/null/";
  if (typeof value === "string") return value;
  if (typeof value === "number") return luaNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return undefined;
}

function write(value: unknown, o: Sink): void {
  if (value instanceof PrewrittenArray) {
    if (value.length <= 5) write(value.items(), o);
    else writeRuns(value.runs(), o);
    return;
  }
  if (o.length > FOLD_AT) o.set(o.md5(o.bytes()));
  const leaf = scalar(value);
  if (leaf !== undefined) {
    o.put(leaf);
  } else if (Array.isArray(value)) {
    if (value.length === 0) {
      o.put("{}");
    } else if (value.length <= 5) {
      // Kong unrolls arrays of up to five items, without a trailing separator
      value.forEach((item, i) => {
        if (i > 0) o.put(";");
        write(item, o);
      });
    } else {
      for (const item of value) {
        write(item, o);
        o.put(";");
      }
    }
  } else if (typeof value === "object") {
    const map = value as Record<string, unknown>;
    let written = false;
    for (const key of sortedKeys(map)) {
      const v = map[key];
      if (v === undefined) continue;
      o.put(key);
      o.put(":");
      write(v, o);
      o.put(";");
      written = true;
    }
    if (!written) o.put("{}");
  } else {
    throw new TypeError(`cannot hash a ${typeof value} (JSON types only)`);
  }
}

/**
 * The items of an array of more than five, from their prewritten bytes: a run whose bytes end
 * before the next fold is copied whole, as no check for a fold inside it could fire; else item by
 * item, each copied, or written afresh where a fold could fall inside it.
 */
function writeRuns(runs: Iterable<PrewrittenRun>, o: Sink): void {
  if (o.length > FOLD_AT) o.set(o.md5(o.bytes()));
  for (const run of runs) {
    if (o.length + run.bytes.length <= FOLD_AT) {
      o.append(run.bytes);
      continue;
    }
    let start = 0;
    for (let i = 0; i < run.items.length; i++) {
      const end = run.ends[i] as number;
      if (o.length + end - start > FOLD_AT) {
        write(run.items[i], o);
        o.put(";");
      } else {
        o.append(run.bytes.subarray(start, end + 1));
      }
      start = end + 1;
    }
  }
}

/**
 * What `write` writes for a value, as text: for a value written whole (never folded), the same
 * bytes once encoded. Strings are only ever joined through ASCII separators, so encoding the whole
 * gives what encoding each string in turn gives, lone surrogates included.
 */
function text(value: unknown): string {
  if (value instanceof PrewrittenArray) return text(value.items());
  const leaf = scalar(value);
  if (leaf !== undefined) return leaf;
  if (Array.isArray(value)) {
    if (value.length === 0) return "{}";
    let s = "";
    if (value.length <= 5) {
      for (let i = 0; i < value.length; i++) s += i > 0 ? `;${text(value[i])}` : text(value[i]);
      return s;
    }
    for (const item of value) s += `${text(item)};`;
    return s;
  }
  if (typeof value === "object") {
    const map = value as Record<string, unknown>;
    let s = "";
    for (const key of sortedKeys(map)) {
      const v = map[key];
      if (v !== undefined) s += `${key}:${text(v)};`;
    }
    return s === "" ? "{}" : s;
  }
  throw new TypeError(`cannot hash a ${typeof value} (JSON types only)`);
}

const utf8Encoder = new TextEncoder();

/**
 * Writes items (entities) once, to be hashed as part of arrays later: as one string, encoded once.
 * When the bytes are as many as the characters, every character was ASCII and the items end where
 * their text does; otherwise each item's text is measured alone.
 */
export function prewriteRun(items: readonly unknown[]): PrewrittenRun {
  const ends = new Uint32Array(items.length);
  let s = "";
  for (let i = 0; i < items.length; i++) {
    s += `${text(items[i])};`;
    ends[i] = s.length - 1;
  }
  const bytes = utf8Encoder.encode(s);
  if (bytes.length !== s.length) {
    let at = 0;
    for (let i = 0; i < items.length; i++) {
      at += utf8Encoder.encode(text(items[i])).length;
      ends[i] = at;
      at += 1;
    }
  }
  return new PrewrittenRun(bytes, ends, items);
}

function hashOf(value: unknown, o: Sink): string {
  if (value === undefined) return EMPTY_CONFIG_HASH;
  o.set(new Uint8Array(0));
  write(value, o);
  return toHex(o.md5(o.bytes()));
}

export type ConfigHashes = {
  config: string;
  routes: string;
  services: string;
  plugins: string;
  upstreams: string;
  targets: string;
};

/** The types Kong hashes one by one, in the order their hashes are joined; the rest are hashed together. */
export const HASHED_APART = ["routes", "services", "plugins", "upstreams", "targets"] as const;

export type HashedApart = (typeof HASHED_APART)[number];

const APART = new Set<string>(HASHED_APART);

/** Whether Kong hashes a config key alone (`routes`, `services`, ...) rather than with the rest. */
export const isHashedApart = (key: string): key is HashedApart => APART.has(key);

/** The hashes of the types Kong hashes one by one: the other keys of `config` are not read. */
export function hashesApart(
  config: Readonly<Record<string, unknown>>,
  md5: Md5 = nobleMd5,
): Record<HashedApart, string> {
  const o = new Sink(md5);
  const out = {} as Record<HashedApart, string>;
  for (const k of HASHED_APART) out[k] = hashOf(config[k], o);
  return out;
}

/** The hash of the rest: every key of `config` but the types hashed apart, which are not read. */
export function restHash(config: Readonly<Record<string, unknown>>, md5: Md5 = nobleMd5): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v !== undefined && !isHashedApart(k)) rest[k] = v;
  }
  return hashOf(rest, new Sink(md5));
}

/**
 * Kong's `config_hash` from the hashes of its parts, which may be made apart (on two threads, each
 * from the types it read): the MD5 of the five types' hashes and the rest's, joined.
 */
export function joinConfigHash(
  apart: Record<HashedApart, string>,
  rest: string,
  md5: Md5 = nobleMd5,
): ConfigHashes {
  const joined = HASHED_APART.map((k) => apart[k]).join("") + rest;
  const config = toHex(md5(new TextEncoder().encode(joined)));
  return { config, ...apart };
}

/** Returns Kong's `config_hash` and the per-type hashes it sends alongside. */
export function calculateConfigHash(
  config: Readonly<Record<string, unknown>>,
  md5: Md5 = nobleMd5,
): ConfigHashes {
  return joinConfigHash(hashesApart(config, md5), restHash(config, md5), md5);
}
