import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { buf } from "../util/bytes";
import { err, ok, type Result } from "../util/result";
import { checkOcsp, describeOcsp, type OcspMode, ocspAllows } from "./ocsp";
import type { TrustError, TrustPolicy } from "./trust";

/** Kong's `ssl_verify_depth 4`: the leaf and at most three intermediates below the CA. */
export const MAX_INTERMEDIATES = 3;

const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** A chain that verified: its leaf and the certificate that signed the leaf. */
export interface VerifiedChain {
  leaf: x509.X509Certificate;
  issuer: x509.X509Certificate;
}

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

async function signedBy(cert: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
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
): Promise<Result<VerifiedChain, PkiError>> {
  const chain: x509.X509Certificate[] = [];
  for (const [index, der] of chainDer.entries()) {
    const cert = parse(der);
    if (!cert) return err({ reason: "bad_certificate", index });
    chain.push(cert);
  }
  const leaf = chain[0];
  if (!leaf) return err({ reason: "bad_certificate", index: 0 });
  const cas = caDer.map(parse).filter((c): c is x509.X509Certificate => c !== undefined);

  // Build the path from the leaf up, by name and signature as OpenSSL does: presented certificates
  // may come in any order or include extras, and several CAs may share a name during a rotation.
  const presented = chain.slice(1).filter((c) => !cas.some((ca) => ca.equal(c)));
  let cert = leaf;
  let leafIssuer: x509.X509Certificate | undefined;
  let intermediates = 0;
  const validity = withinValidity(leaf, opts.now);
  if (validity) return err(validity);
  for (;;) {
    const candidates = [
      ...cas.filter((ca) => ca.subject === cert.issuer).map((c) => ({ c, ca: true })),
      ...presented.filter((p) => p.subject === cert.issuer && p !== cert).map((c) => ({ c, ca: false })),
    ];
    if (!candidates.length) return err({ reason: "unknown_ca", issuer: cert.issuer });
    let issuer: { c: x509.X509Certificate; ca: boolean } | undefined;
    for (const candidate of candidates) {
      if (await signedBy(cert, candidate.c)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) return err({ reason: "bad_signature", subject: cert.subject });
    leafIssuer ??= issuer.c;
    const bc = basicConstraints(issuer.c);
    if (!bc?.ca) return err({ reason: "not_a_ca", subject: issuer.c.subject });
    const ku = issuer.c.getExtension(x509.KeyUsagesExtension);
    if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign))
      return err({ reason: "not_a_ca", subject: issuer.c.subject });
    if (bc.pathLength !== undefined && intermediates > bc.pathLength) {
      return err({ reason: "path_too_long", subject: issuer.c.subject, pathLength: bc.pathLength });
    }
    const issuerValidity = withinValidity(issuer.c, opts.now);
    if (issuerValidity) return err(issuerValidity);
    if (issuer.ca) break;
    intermediates++;
    if (intermediates > MAX_INTERMEDIATES)
      return err({ reason: "too_many_intermediates", count: intermediates });
    cert = issuer.c;
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
  return ok({ leaf, issuer: leafIssuer as x509.X509Certificate });
}

/**
 * `cluster_mtls = pki` on the CP: a DP's chain must lead to one of the CA certificates, for client
 * authentication. Several CAs may be trusted at once, for a rotation.
 */
export function pkiTrust(
  caDer: readonly Uint8Array[],
  opts: { now?: () => number; ocsp?: OcspMode; fetch?: typeof fetch; warn?: (m: string) => void } = {},
): TrustPolicy {
  const now = opts.now ?? Date.now;
  const mode = opts.ocsp ?? "off";
  return async (chain) => {
    const r = await verifyChain(chain, caDer, { purpose: "client", now: now() });
    if (!r.ok) return err({ reason: "pki", detail: r.error } satisfies TrustError);
    if (mode === "off") return ok(undefined);
    // `cluster_ocsp`: ask the responder named in the DP certificate whether it was revoked.
    const outcome = await checkOcsp(
      new Uint8Array(r.value.leaf.rawData),
      new Uint8Array(r.value.issuer.rawData),
      {
        fetch: opts.fetch ?? fetch,
        now: now(),
      },
    );
    if (!ocspAllows(mode, outcome)) {
      return err({ reason: "ocsp", mode, outcome, message: describeOcsp(outcome) } satisfies TrustError);
    }
    // `optional` lets a DP in when the check could not be made, as Kong does: with a warning
    if (outcome.status !== "good") opts.warn?.(`[lintel] cluster: ${describeOcsp(outcome)}`);
    return ok(undefined);
  };
}

/** `notAfter` of a DER certificate, in seconds since the epoch. */
export function certificateExpiry(der: Uint8Array): number | undefined {
  try {
    return Math.floor(new x509.X509Certificate(buf(der)).notAfter.getTime() / 1000);
  } catch {
    return undefined;
  }
}
