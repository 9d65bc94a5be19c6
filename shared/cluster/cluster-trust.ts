import { bytesToBase64 } from "../util/bytes";
import { ok, type Result } from "../util/result";
import { type ClusterIdentity, type KeyError, loadClusterIdentity } from "./keys";
import type { OcspMode } from "./ocsp";
import { certificatesDer } from "./pem";
import { pkiTrust } from "./pki";
import { sharedTrust, type TrustPolicy } from "./trust";

/** The cluster certificates of a CP as PEM text (a runtime reads files or secrets into these). */
export type ClusterTrustInput = {
  mtls: "shared" | "pki";
  certPem: string;
  keyPem: string;
  /** `cluster_trusted_certs`: more certificates trusted in shared mode (a rotation). */
  trustedCertsPem?: string;
  /** `cluster_ca_cert`, for pki mode. */
  caCertPem?: string;
  ocsp: OcspMode;
  warn: (message: string) => void;
};

export type ClusterTrust = {
  identity: ClusterIdentity;
  /** `kid` of the CP's signatures: the SHA-256 thumbprint (base64url) of its certificate. */
  kid: string;
  /** Whom the CP lets in. */
  policy: TrustPolicy;
};

/**
 * A CP's identity and whom it trusts: shared mode trusts `cluster_cert` plus `cluster_trusted_certs`,
 * pki mode chains to `cluster_ca_cert`.
 */
export async function loadClusterTrust(input: ClusterTrustInput): Promise<Result<ClusterTrust, KeyError>> {
  const identity = await loadClusterIdentity(input.certPem, input.keyPem);
  if (!identity.ok) return identity;
  const leaf = identity.value.chain[0] as Uint8Array;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", leaf as BufferSource));
  const kid = bytesToBase64(digest).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const policy =
    input.mtls === "pki"
      ? pkiTrust(certificatesDer(input.caCertPem ?? ""), { ocsp: input.ocsp, warn: input.warn })
      : await sharedTrust([leaf, ...certificatesDer(input.trustedCertsPem ?? "")]);
  return ok({ identity: identity.value, kid, policy });
}

/** Kong's messages for a cluster certificate or key that cannot be used. */
export function describeKeyError(error: KeyError, names: { cert: string; key: string }): string {
  return {
    no_certificate: `${names.cert}: failed loading certificate`,
    no_private_key: `${names.key}: failed loading key`,
    unsupported_key: `${names.key}: only EC (P-256, P-384, P-521) and RSA keys are supported`,
    key_mismatch: `${names.key}: the key does not belong to ${names.cert}`,
  }[error.reason];
}
