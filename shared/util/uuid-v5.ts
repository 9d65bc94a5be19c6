import { sha1 } from "@noble/hashes/legacy.js";
import { utf8 } from "./bytes";

function parse(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function format(b: Uint8Array): string {
  let h = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) h += "-";
    h += HEX[b[i] as number];
  }
  return h;
}

const namespaces = new Map<string, Uint8Array>();

/**
 * RFC 4122 name-based UUID (version 5, SHA-1), computed synchronously: a declarative import derives
 * one for most of its entities, and WebCrypto's digest is a round trip to another thread each.
 */
export function uuidV5(namespace: string, name: string): string {
  let ns = namespaces.get(namespace);
  if (!ns) {
    ns = parse(namespace);
    namespaces.set(namespace, ns);
  }
  const encoded = utf8.encode(name);
  const data = new Uint8Array(16 + encoded.length);
  data.set(ns);
  data.set(encoded, 16);
  const hash = sha1(data);
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  return format(hash);
}

/** Kong's namespace for the ids of declarative entities (kong/db/schema/others/declarative_config.lua). */
export const DECLARATIVE_NAMESPACE = "fd02801f-0957-4a15-a55a-c8d9606f30b5";

/** The id Kong gives a declarative entity from its key: v5 under a per-entity v5 namespace. */
export function declarativeId(entity: string, key: string): string {
  let ns = entityNamespaces.get(entity);
  if (!ns) {
    ns = uuidV5(DECLARATIVE_NAMESPACE, entity);
    entityNamespaces.set(entity, ns);
  }
  return uuidV5(ns, key);
}

const entityNamespaces = new Map<string, string>();
