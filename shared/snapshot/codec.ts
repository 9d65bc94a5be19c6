import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import type { ClusterIdentity } from "../cluster/keys";
import { certificateKey } from "../cluster/keys";
import {
  base64ToBytes,
  bytesToBase64,
  concatBytes,
  fromUtf8,
  gunzip,
  gzip,
  sha256Hex,
  utf8,
} from "../util/bytes";
import { asPieces, joinRange, type Pieces, piecesLength, sha256HexOf, slicePieces } from "../util/pieces";
import { err, ok, type Result } from "../util/result";
import { type ColdType, coldBytes, readCold, splitCold } from "./cold";
import { type Envelope, MAX_COLD_JSON, MAX_HOT_JSON, type Manifest } from "./envelope";
import { isStale } from "./rollback";

/*
 * A snapshot on the wire and at rest:
 *   u32 big-endian length N | N bytes: compact JWS of the Manifest | hot gzip | cold gzip
 * The hot section is the Envelope JSON without consumers and credentials; the cold section holds
 * those, one `[type, entity]` JSON line each. The JWS signs the manifest, which names the SHA-256
 * of each gzip: the signature covers every byte, and version, hash and sizes can be checked before
 * anything is inflated, and a reader may verify and inflate the hot section alone.
 */

export async function sealSnapshot(
  envelope: Envelope,
  identity: ClusterIdentity,
  kid: string,
  /** A runtime's own gzip, where it is faster than a CompressionStream. */
  compress: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array> = gzip,
): Promise<{ bytes: Uint8Array; manifest: Manifest }> {
  const { hot, lines } = splitCold(envelope.config as unknown as Record<string, unknown>);
  const json = utf8.encode(JSON.stringify({ ...envelope, config: hot }));
  const cold = coldBytes(lines);
  const [hotGz, coldGz] = await Promise.all([compress(json), compress(cold)]);
  return signSections(
    envelope,
    { gzip: hotGz, size: json.length },
    { gzip: coldGz, size: cold.length, entities: lines.length },
    identity,
    kid,
  );
}

/** A section as gzip, with the length it inflates to. */
export type Section = { gzip: Uint8Array; size: number };

/**
 * Signs sections compressed elsewhere (a control plane that keeps compressed parts between
 * snapshots): the hot section is the Envelope's JSON without consumers and credentials, the cold
 * section their `[type, entity]` lines; both are gzip.
 */
export async function signSections(
  fields: Pick<Envelope, "version" | "epoch" | "config_hash" | "created_at" | "cp_id">,
  hot: Section,
  cold: Section & { entities: number },
  identity: ClusterIdentity,
  kid: string,
): Promise<{ bytes: Uint8Array; manifest: Manifest }> {
  const manifest: Manifest = {
    version: fields.version,
    epoch: fields.epoch,
    config_hash: fields.config_hash,
    sha256: await sha256Hex(hot.gzip),
    size: hot.size,
    created_at: fields.created_at,
    cp_id: fields.cp_id,
    hot_bytes: hot.gzip.length,
    cold_sha256: await sha256Hex(cold.gzip),
    cold_size: cold.size,
    cold_entities: cold.entities,
  };
  const jws = utf8.encode(
    await new CompactSign(utf8.encode(JSON.stringify(manifest)))
      .setProtectedHeader({
        alg: identity.alg,
        typ: "lintel-snapshot+jwt",
        kid,
        x5c: identity.chain.map(bytesToBase64),
      })
      .sign(identity.privateKey),
  );
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, jws.length);
  return { bytes: concatBytes([length, jws, hot.gzip, cold.gzip]), manifest };
}

/** The bytes of a snapshot without its cold section (what a reader of the hot section needs). */
export function hotPart(bytes: Uint8Array, manifest: Manifest): Uint8Array {
  return bytes.subarray(0, hotEnd(bytes, manifest));
}

/** Where a snapshot's hot part ends (the length prefix, the signature and the hot section). */
export function hotEnd(bytes: Uint8Array | Pieces, manifest: Manifest): number {
  const pieces = asPieces(bytes);
  if (manifest.hot_bytes === undefined) return piecesLength(pieces);
  return 4 + lengthPrefix(pieces) + manifest.hot_bytes;
}

const lengthPrefix = (pieces: Pieces): number => {
  const head = joinRange(pieces, 0, 4);
  return new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0);
};

export type OpenError =
  | { reason: "malformed"; detail: string }
  | { reason: "too_large"; size: number; limit: number; part?: "hot" | "cold" }
  | { reason: "bad_signature" }
  | { reason: "digest_mismatch" }
  | { reason: "stale"; version: number; current: number }
  | { reason: "bad_schema"; detail: string };

export type OpenOptions = {
  /** Certificates (DER) whose keys may sign snapshots (`cluster_mtls = shared`). */
  signers: readonly Uint8Array[];
  /**
   * `cluster_mtls = pki`: whether the chain a snapshot carries (`x5c`) may sign, checked against
   * the CA; its leaf's key then verifies the signature.
   */
  signerChain?: (chain: Uint8Array[]) => Promise<boolean>;
  /**
   * `cluster_max_payload`: the largest snapshot accepted, in bytes as it travels (compressed), as
   * Kong bounds its WebSocket frames. What it inflates to is bounded by MAX_HOT_JSON and
   * MAX_COLD_JSON.
   */
  maxPayload: number;
  /**
   * What the reader holds now (rollback protection): in its epoch, a lower version is refused; a
   * snapshot of another epoch (a restored or moved database) must have been made later.
   */
  current?: Pick<Manifest, "version" | "epoch" | "created_at">;
};

/**
 * Reads the manifest after checking its signature; the payload is not inflated. `bytes` may be in
 * pieces (a large snapshot as its frames came): the hot section is then joined, the cold section
 * left in pieces.
 */
export async function openManifest(
  bytes: Uint8Array | Pieces,
  opts: OpenOptions,
): Promise<Result<{ manifest: Manifest; payload: Uint8Array; cold?: Pieces }, OpenError>> {
  const pieces = asPieces(bytes);
  const total = piecesLength(pieces);
  if (total > opts.maxPayload) {
    return err({ reason: "too_large", size: total, limit: opts.maxPayload });
  }
  if (total < 4) return err({ reason: "malformed", detail: "shorter than its header" });
  const n = lengthPrefix(pieces);
  if (n > total - 4) return err({ reason: "malformed", detail: "signature length past the end" });
  const jws = fromUtf8.decode(joinRange(pieces, 4, 4 + n));
  const start = 4 + n;
  const sectionsLength = total - start;
  let alg: string;
  let x5c: Uint8Array[] = [];
  try {
    const header = decodeProtectedHeader(jws);
    if (typeof header.alg !== "string")
      return err({ reason: "malformed", detail: "no alg in the signature" });
    alg = header.alg;
    if (Array.isArray(header.x5c)) x5c = header.x5c.map((c) => base64ToBytes(String(c)));
  } catch {
    return err({ reason: "malformed", detail: "unreadable signature header" });
  }
  let signers = opts.signers;
  if (opts.signerChain) {
    signers = x5c.length && (await opts.signerChain(x5c)) ? [x5c[0] as Uint8Array] : [];
  }
  let manifest: Manifest | undefined;
  for (const signer of signers) {
    const key = await certificateKey(signer, alg);
    if (!key) continue;
    try {
      const verified = await compactVerify(jws, key, { algorithms: [alg] });
      manifest = JSON.parse(fromUtf8.decode(verified.payload)) as Manifest;
      break;
    } catch {
      // try the next trusted signer
    }
  }
  if (!manifest) return err({ reason: "bad_signature" });
  if (typeof manifest.version !== "number" || typeof manifest.size !== "number") {
    return err({ reason: "malformed", detail: "manifest without version or size" });
  }
  if (manifest.size > MAX_HOT_JSON) {
    return err({ reason: "too_large", size: manifest.size, limit: MAX_HOT_JSON, part: "hot" });
  }
  if ((manifest.cold_size ?? 0) > MAX_COLD_JSON) {
    return err({ reason: "too_large", size: manifest.cold_size ?? 0, limit: MAX_COLD_JSON, part: "cold" });
  }
  const split = manifest.hot_bytes;
  if (split !== undefined && (!Number.isInteger(split) || split < 0 || split > sectionsLength)) {
    return err({ reason: "malformed", detail: "hot section length past the end" });
  }
  const payload = joinRange(pieces, start, split === undefined ? total : start + split);
  // a snapshot whose cold section was left off (hotPart) has none to read
  const cold =
    split === undefined || split === sectionsLength ? undefined : slicePieces(pieces, start + split, total);
  const held = opts.current;
  if (held) {
    if (isStale(manifest, held)) {
      return err({ reason: "stale", version: manifest.version, current: held.version });
    }
  }
  if ((await sha256Hex(payload)) !== manifest.sha256) return err({ reason: "digest_mismatch" });
  return ok({ manifest, payload, cold });
}

/**
 * What to do with the cold section (consumers and credentials): `merge` it into the config (the
 * default), `verify` its digest only, `skip` it (a reader that looks them up elsewhere; its bytes
 * may be absent), or hand each entity to a function, one at a time.
 */
export type ColdMode =
  | "merge"
  | "verify"
  | "skip"
  | ((type: ColdType, entity: Record<string, unknown>) => void | Promise<void>);

/** Verifies and inflates a snapshot. */
export async function openSnapshot(
  bytes: Uint8Array | Pieces,
  opts: OpenOptions & { cold?: ColdMode },
): Promise<Result<{ manifest: Manifest; envelope: Envelope }, OpenError>> {
  const opened = await openManifest(bytes, opts);
  if (!opened.ok) return opened;
  return readSections(opened.value, opts.cold);
}

/**
 * Inflates and checks the sections of a snapshot whose manifest `openManifest` verified (a reader
 * that looks at the manifest first verifies the signature once).
 */
export async function readSections(
  opened: { manifest: Manifest; payload: Uint8Array; cold?: Pieces },
  coldMode: ColdMode = "merge",
): Promise<Result<{ manifest: Manifest; envelope: Envelope }, OpenError>> {
  const { manifest, payload, cold } = opened;
  let json: Uint8Array | undefined;
  try {
    json = await gunzip(payload, manifest.size);
  } catch (e) {
    return err({ reason: "malformed", detail: `gzip: ${e instanceof Error ? e.message : e}` });
  }
  if (!json || json.length !== manifest.size) {
    return err({ reason: "malformed", detail: `inflated size differs from the manifest's ${manifest.size}` });
  }
  let envelope: Envelope;
  try {
    envelope = JSON.parse(fromUtf8.decode(json)) as Envelope;
  } catch {
    return err({ reason: "malformed", detail: "payload is not JSON" });
  }
  const shape = checkEnvelope(envelope, manifest);
  if (shape) return err({ reason: "bad_schema", detail: shape });
  const mode = coldMode;
  if (mode === "skip" || manifest.hot_bytes === undefined) return ok({ manifest, envelope });
  if (!cold) return err({ reason: "malformed", detail: "the cold section is missing" });
  if ((await sha256HexOf(cold)) !== manifest.cold_sha256) return err({ reason: "digest_mismatch" });
  if (mode === "verify") return ok({ manifest, envelope });
  const config = envelope.config as unknown as Record<string, unknown[]>;
  const read = await readCold(cold, manifest.cold_size ?? 0, (type, entity) => {
    if (mode !== "merge") return mode(type, entity);
    const list = config[type] ?? [];
    list.push(entity);
    config[type] = list;
  });
  if ("error" in read) return err({ reason: "malformed", detail: read.error });
  if (read.entities !== manifest.cold_entities) {
    return err({ reason: "malformed", detail: "the cold section holds another number of entities" });
  }
  return ok({ manifest, envelope });
}

function checkEnvelope(e: Envelope, m: Manifest): string | undefined {
  if (typeof e !== "object" || e === null) return "envelope is not an object";
  if (e.version !== m.version || e.epoch !== m.epoch) return "version differs from the signed manifest";
  if (e.config_hash !== m.config_hash) return "config_hash differs from the signed manifest";
  const c = e.config;
  if (typeof c !== "object" || c === null || c._format_version !== "3.0") {
    return "config is not a 3.0 declarative config";
  }
  for (const key of ["services", "routes"] as const) {
    if (c[key] !== undefined && !Array.isArray(c[key])) return `${key} must be an array`;
  }
  return undefined;
}
