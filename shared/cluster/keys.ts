import { importPKCS8, importX509 } from "jose";
import { err, ok, type Result } from "../util/result";
import { certificatesDer, derToPem, pemBlocks } from "./pem";

/** JWS algorithms a cluster key may sign with, chosen by the key's type and curve. */
export const CLUSTER_ALGS = ["ES384", "ES256", "ES512", "RS256"] as const;
export type ClusterAlg = (typeof CLUSTER_ALGS)[number];

export type ClusterIdentity = {
  alg: ClusterAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** DER of the certificate chain, leaf first (the JWS `x5c`). */
  chain: Uint8Array[];
};

export type KeyError =
  | { reason: "no_certificate" }
  | { reason: "no_private_key" }
  | { reason: "unsupported_key" }
  | { reason: "key_mismatch" };

/**
 * Loads a cluster certificate and its private key (PEM or base64 PEM, PKCS#8 key) and finds the JWS
 * algorithm their type calls for. The key must belong to the certificate.
 */
export async function loadClusterIdentity(
  certText: string,
  keyText: string,
): Promise<Result<ClusterIdentity, KeyError>> {
  const chain = certificatesDer(certText);
  const leaf = chain[0];
  if (!leaf) return err({ reason: "no_certificate" });
  const keyBlock = pemBlocks(keyText).find((b) => b.label === "PRIVATE KEY");
  if (!keyBlock) return err({ reason: "no_private_key" });
  const keyPem = derToPem(keyBlock.der, "PRIVATE KEY");
  for (const alg of CLUSTER_ALGS) {
    let privateKey: CryptoKey;
    try {
      privateKey = await importPKCS8(keyPem, alg, { extractable: false });
    } catch {
      continue;
    }
    let publicKey: CryptoKey;
    try {
      publicKey = await importX509(derToPem(leaf), alg);
    } catch {
      return err({ reason: "key_mismatch" });
    }
    if (!(await keysMatch(alg, privateKey, publicKey))) return err({ reason: "key_mismatch" });
    return ok({ alg, privateKey, publicKey, chain });
  }
  return err({ reason: "unsupported_key" });
}

async function keysMatch(alg: ClusterAlg, privateKey: CryptoKey, publicKey: CryptoKey): Promise<boolean> {
  const params = signParams(alg);
  const probe = new Uint8Array([108, 105, 110, 116, 101, 108]);
  const signature = await crypto.subtle.sign(params, privateKey, probe);
  return crypto.subtle.verify(params, publicKey, signature, probe);
}

function signParams(alg: ClusterAlg): { name: string; hash?: string } {
  switch (alg) {
    case "ES256":
      return { name: "ECDSA", hash: "SHA-256" };
    case "ES384":
      return { name: "ECDSA", hash: "SHA-384" };
    case "ES512":
      return { name: "ECDSA", hash: "SHA-512" };
    case "RS256":
      return { name: "RSASSA-PKCS1-v1_5" };
  }
}

/** The public key of a certificate, for the algorithm a signature claims. */
export async function certificateKey(der: Uint8Array, alg: string): Promise<CryptoKey | undefined> {
  if (!(CLUSTER_ALGS as readonly string[]).includes(alg)) return undefined;
  try {
    return await importX509(derToPem(der), alg);
  } catch {
    return undefined;
  }
}
