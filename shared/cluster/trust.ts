import { sha256Hex } from "../util/bytes";
import { err, ok, type Result } from "../util/result";
import type { OcspMode, OcspOutcome } from "./ocsp";
import type { PkiError } from "./pki";

export type TrustError =
  | { reason: "no_certificate" }
  | { reason: "certificate_mismatch"; presented: string; expected: readonly string[] }
  | { reason: "pki"; detail: PkiError }
  | { reason: "ocsp"; mode: OcspMode; outcome: OcspOutcome; message: string };

/** Decides whether a peer's certificate chain (leaf first) is trusted. */
export type TrustPolicy = (chain: readonly Uint8Array[]) => Promise<Result<void, TrustError>>;

/**
 * `cluster_mtls = shared`: the peer's certificate must be the cluster certificate itself, compared as
 * the SHA-256 of its DER as Kong does. Several certificates may be trusted at once so that a rotation
 * can overlap old and new.
 */
export async function sharedTrust(trusted: readonly Uint8Array[]): Promise<TrustPolicy> {
  const digests = await Promise.all(trusted.map(sha256Hex));
  return async (chain) => {
    const leaf = chain[0];
    if (!leaf) return err({ reason: "no_certificate" });
    const presented = await sha256Hex(leaf);
    if (!digests.includes(presented)) {
      return err({ reason: "certificate_mismatch", presented, expected: digests });
    }
    return ok(undefined);
  };
}
