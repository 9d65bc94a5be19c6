import { createHash } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { openManifest } from "../../shared/snapshot/codec";
import type { Manifest } from "../../shared/snapshot/envelope";
import { LINTEL_VERSION } from "../../shared/version";
import type { Snapshot } from "../cluster/publisher";

/*
 * The last snapshot a control plane node signed, kept in its prefix, so that the node serves its
 * data planes at once when it starts again: a first build exports and signs the whole config, which
 * takes over a second at DESIGN.md's large case in a process that has compiled nothing yet
 * (BENCHMARKS.md). It is served only when nothing was written while the node was down: its version
 * and epoch are the database's, and it was signed with the key the node signs with now. The file
 * holds every consumer's credentials, as the database does: only the node's user may read it.
 */

/** The first line of the file: what it is, and the version of its layout. */
const MAGIC = "lintel-kept-snapshot 1\n";

type KeptInfo = {
  kid: string;
  plugins: Snapshot["plugins"];
  /** The Lintel that built it: another may build the same config otherwise. */
  lintel: string;
};

/** Why a kept snapshot was not taken, for the log. */
export type NotKept =
  | { reason: "none" }
  | { reason: "unreadable"; detail: string }
  | { reason: "other_key"; kid: string }
  | { reason: "other_lintel"; lintel: string }
  | { reason: "out_of_date"; kept: Pick<Manifest, "version" | "epoch"> };

/** Writes the snapshot in place of the one kept before, whole or not at all. */
export async function keepSnapshot(path: string, snapshot: Snapshot, kid: string): Promise<void> {
  const info: KeptInfo = { kid, plugins: snapshot.plugins, lintel: LINTEL_VERSION };
  const head = Buffer.from(`${MAGIC}${JSON.stringify(info)}\n`);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, [head, snapshot.bytes], { mode: 0o600 });
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true });
    throw e;
  }
}

/**
 * The snapshot kept at `path`, if it was signed with the certificate the node has now (`signer`,
 * DER) under `kid`, its bytes are whole, and it is of the config the database holds now (`current`).
 */
export async function readKeptSnapshot(
  path: string,
  opts: {
    kid: string;
    signer: Uint8Array;
    maxPayload: number;
    current: () => Promise<{ version: number; epoch: string }>;
  },
): Promise<{ ok: true; snapshot: Snapshot } | { ok: false; why: NotKept }> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { ok: false, why: { reason: "none" } };
    return unreadable(String(e));
  }
  if (!file.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return unreadable("not a kept snapshot");
  const end = file.indexOf(0x0a, MAGIC.length);
  if (end < 0) return unreadable("no end to its header");
  let info: KeptInfo;
  try {
    info = JSON.parse(file.subarray(MAGIC.length, end).toString("utf8")) as KeptInfo;
  } catch {
    return unreadable("its header is not JSON");
  }
  if (typeof info?.kid !== "string" || !Array.isArray(info.plugins))
    return unreadable("its header is incomplete");
  if (info.kid !== opts.kid) return { ok: false, why: { reason: "other_key", kid: info.kid } };
  if (info.lintel !== LINTEL_VERSION)
    return { ok: false, why: { reason: "other_lintel", lintel: String(info.lintel) } };
  const bytes = new Uint8Array(file.buffer, file.byteOffset + end + 1, file.length - end - 1);
  // the signature and the hot section's digest, as a data plane checks them
  const opened = await openManifest(bytes, { signers: [opts.signer], maxPayload: opts.maxPayload });
  if (!opened.ok) return unreadable(`it does not open: ${opened.error.reason}`);
  const { manifest, cold } = opened.value;
  if (manifest.cold_sha256 !== undefined) {
    const hash = createHash("sha256");
    for (const piece of cold ?? []) hash.update(piece);
    if (hash.digest("hex") !== manifest.cold_sha256) return unreadable("its cold section's digest differs");
  }
  const now = await opts.current();
  if (now.version !== manifest.version || now.epoch !== manifest.epoch) {
    return {
      ok: false,
      why: { reason: "out_of_date", kept: { version: manifest.version, epoch: manifest.epoch } },
    };
  }
  return { ok: true, snapshot: { bytes, manifest, plugins: info.plugins } };
}

const unreadable = (detail: string) => ({
  ok: false as const,
  why: { reason: "unreadable" as const, detail },
});
