import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { buf } from "../util/bytes";
import { err, ok, type Result } from "../util/result";
import type { TrustError, TrustPolicy } from "./trust";

/** Kong's `ssl_verify_depth 4`: the leaf and at most three intermediates below the CA. */
export const MAX_INTERMEDIATES = 3;

const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export type PkiError =
  | { reason: "bad_certificate"; index: number }
  | { reason: "too_many_intermediates"; count: number }
  | { reason: "expired"; subject: string; notAfter: number; now: number }
  | { reason: "not_yet_valid"; subject: string; notBefore: number; now: number }
  | { reason: "not_a_ca"; subject: string }
  | { reason: "path_too_long"; subject: string; pathLength: number }
  | { reason: "bad_signature"; subject: string }
  | { reason: "unknown_ca"; issuer: string }
  | { reason: "wrong_usage"; subject: string; needed: "clientAuth" | "serverAuth" }
  | { reason: "name_mismatch"; expected: string; names: string[] };

function parse(der: Uint8Array): x509.X509Certificate | undefined {
  try {
    return new x509.X509Certificate(buf(der));
  } catch {
    return undefined;
  }
}

function basicConstraints(cert: x509.X509Certificate): x509.BasicConstraintsExtension | undefined {
  return cert.getExtension(x509.BasicConstraintsExtension) ?? undefined;
}

/** The names a certificate answers to: DNS names of its SAN, else its CN. */
export function certificateNames(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dns = san?.names.items.filter((n) => n.type === "dns").map((n) => n.value.toLowerCase()) ?? [];
  if (dns.length) return dns;
  return cert.subjectName.getField("CN").map((cn) => cn.toLowerCase());
}

function withinValidity(cert: x509.X509Certificate, now: number): PkiError | undefined {
  if (cert.notAfter.getTime() < now) {
    return {
      reason: "expired",
      subject: cert.subject,
      notAfter: cert.notAfter.getTime() / 1000,
      now: now / 1000,
    };
  }
  if (cert.notBefore.getTime() > now) {
    return {
      reason: "not_yet_valid",
      subject: cert.subject,
      notBefore: cert.notBefore.getTime() / 1000,
      now: now / 1000,
    };
  }
  return undefined;
}

/**
 * Checks a presented chain (leaf first, then intermediates) against trusted CA certificates, as
 * Kong's `cluster_mtls = pki` does through OpenSSL: every signature, every validity window, CA flags
 * and path lengths on the issuers, at most three intermediates, and the leaf's Extended Key Usage
 * (when it has one) allowing the purpose. For a server, its CN or SAN must be `serverName`.
 */
export async function verifyChain(
  chainDer: readonly Uint8Array[],
  caDer: readonly Uint8Array[],
  opts: { purpose: "client" | "server"; now: number; serverName?: string },
): Promise<Result<x509.X509Certificate, PkiError>> {
  const chain: x509.X509Certificate[] = [];
  for (const [index, der] of chainDer.entries()) {
    const cert = parse(der);
    if (!cert) return err({ reason: "bad_certificate", index });
    chain.push(cert);
  }
  const leaf = chain[0];
  if (!leaf) return err({ reason: "bad_certificate", index: 0 });
  const cas = caDer.map(parse).filter((c): c is x509.X509Certificate => c !== undefined);

  // Intermediates are taken as presented; a CA certificate sent along is not counted as one.
  const intermediates = chain.slice(1).filter((c) => !cas.some((ca) => ca.equal(c)));
  if (intermediates.length > MAX_INTERMEDIATES) {
    return err({ reason: "too_many_intermediates", count: intermediates.length });
  }
  const path = [leaf, ...intermediates];
  for (const cert of path) {
    const bad = withinValidity(cert, opts.now);
    if (bad) return err(bad);
  }
  for (let i = 0; i < path.length; i++) {
    const cert = path[i] as x509.X509Certificate;
    const below = i; // certificates under this one's issuer, leaf excluded, for path length
    const issuer = path[i + 1] ?? cas.find((ca) => ca.subject === cert.issuer);
    if (!issuer) return err({ reason: "unknown_ca", issuer: cert.issuer });
    const bc = basicConstraints(issuer);
    if (!bc?.ca) return err({ reason: "not_a_ca", subject: issuer.subject });
    if (bc.pathLength !== undefined && below > bc.pathLength) {
      return err({ reason: "path_too_long", subject: issuer.subject, pathLength: bc.pathLength });
    }
    const issuerValidity = withinValidity(issuer, opts.now);
    if (issuerValidity) return err(issuerValidity);
    let signed = false;
    try {
      signed = await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
    } catch {
      signed = false;
    }
    if (!signed) return err({ reason: "bad_signature", subject: cert.subject });
    if (!path[i + 1] && !cas.some((ca) => ca.equal(issuer)))
      return err({ reason: "unknown_ca", issuer: cert.issuer });
  }
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  const needed = opts.purpose === "client" ? EKU_CLIENT_AUTH : EKU_SERVER_AUTH;
  if (eku && !eku.usages.map(String).includes(needed)) {
    return err({
      reason: "wrong_usage",
      subject: leaf.subject,
      needed: opts.purpose === "client" ? "clientAuth" : "serverAuth",
    });
  }
  if (opts.serverName !== undefined) {
    const names = certificateNames(leaf);
    const wanted = opts.serverName.toLowerCase();
    const matches = names.some(
      (n) =>
        n === wanted ||
        (n.startsWith("*.") && wanted.endsWith(n.slice(1)) && !wanted.slice(0, -n.length + 1).includes(".")),
    );
    if (!matches) return err({ reason: "name_mismatch", expected: opts.serverName, names });
  }
  return ok(leaf);
}

/**
 * `cluster_mtls = pki` on the CP: a DP's chain must lead to one of the CA certificates, for client
 * authentication. Several CAs may be trusted at once, for a rotation.
 */
export function pkiTrust(caDer: readonly Uint8Array[], now: () => number = Date.now): TrustPolicy {
  return async (chain) => {
    const r = await verifyChain(chain, caDer, { purpose: "client", now: now() });
    return r.ok ? ok(undefined) : err({ reason: "pki", detail: r.error } satisfies TrustError);
  };
}
