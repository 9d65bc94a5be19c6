import "reflect-metadata";
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
} from "@peculiar/asn1-ocsp";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import * as x509 from "@peculiar/x509";
import { buf, concatBytes } from "../util/bytes";

/** `cluster_ocsp`, as Kong: off, on (any failure refuses), optional (only a revocation refuses). */
export type OcspMode = "off" | "on" | "optional";

export type OcspOutcome =
  | { status: "good" }
  | { status: "revoked" }
  | { status: "unknown" }
  | { status: "no_responder" }
  | { status: "unreachable"; detail: string }
  | { status: "invalid"; detail: string };

const SHA1 = "1.3.14.3.2.26";

type ImportAlgorithm = Parameters<x509.PublicKey["export"]>[0];

const sha1 = async (bytes: ArrayBuffer | Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-1", bytes instanceof Uint8Array ? buf(bytes) : bytes));

/** The responder named in a certificate's Authority Information Access, if any. */
export function ocspResponder(cert: x509.X509Certificate): string | undefined {
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  const url = aia?.ocsp.find((n) => n.type === "url")?.value;
  return typeof url === "string" ? url : undefined;
}

async function certId(leaf: x509.X509Certificate, issuer: x509.X509Certificate): Promise<CertID> {
  const spki = AsnConvert.parse(issuer.publicKey.rawData, SubjectPublicKeyInfo);
  const serial = Uint8Array.from(leaf.serialNumber.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: new OctetString(await sha1(issuer.subjectName.toArrayBuffer())),
    issuerKeyHash: new OctetString(await sha1(spki.subjectPublicKey)),
    serialNumber: serial.buffer,
  });
}

/** ECDSA signatures are DER `SEQUENCE { r, s }` in X.509; WebCrypto wants `r || s`. */
function ecdsaRaw(der: Uint8Array, size: number): Uint8Array {
  let at = 2 + (der[1] === 0x81 ? 1 : 0);
  const part = () => {
    const len = der[at + 1] as number;
    let v = der.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    const out = new Uint8Array(size);
    out.set(v, size - v.length);
    return out;
  };
  return concatBytes([part(), part()]);
}

const SIGNATURES: Record<string, { hash: string; ec: boolean }> = {
  "1.2.840.10045.4.3.2": { hash: "SHA-256", ec: true },
  "1.2.840.10045.4.3.3": { hash: "SHA-384", ec: true },
  "1.2.840.10045.4.3.4": { hash: "SHA-512", ec: true },
  "1.2.840.113549.1.1.11": { hash: "SHA-256", ec: false },
  "1.2.840.113549.1.1.12": { hash: "SHA-384", ec: false },
  "1.2.840.113549.1.1.13": { hash: "SHA-512", ec: false },
};

async function signedBy(
  data: ArrayBuffer,
  signature: ArrayBuffer,
  algorithm: string,
  signer: x509.X509Certificate,
): Promise<boolean> {
  const alg = SIGNATURES[algorithm];
  if (!alg) return false;
  try {
    if (alg.ec) {
      const curve = (signer.publicKey.algorithm as { namedCurve?: string }).namedCurve ?? "P-256";
      const key = await signer.publicKey.export({ name: "ECDSA", namedCurve: curve } as ImportAlgorithm, [
        "verify",
      ]);
      const size = curve === "P-521" ? 66 : curve === "P-384" ? 48 : 32;
      return await crypto.subtle.verify(
        { name: "ECDSA", hash: alg.hash },
        key,
        buf(ecdsaRaw(new Uint8Array(signature), size)),
        data,
      );
    }
    const key = await signer.publicKey.export(
      { name: "RSASSA-PKCS1-v1_5", hash: alg.hash } as ImportAlgorithm,
      ["verify"],
    );
    return await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature, data);
  } catch {
    return false;
  }
}

/**
 * Asks the certificate's OCSP responder whether it is revoked (RFC 6960, over HTTP POST), and
 * checks the answer: signed by the issuer or by a responder it delegated to, about this certificate,
 * current.
 */
export async function checkOcsp(
  leafDer: Uint8Array,
  issuerDer: Uint8Array,
  opts: { fetch: typeof fetch; now: number; timeoutMs?: number },
): Promise<OcspOutcome> {
  const leaf = new x509.X509Certificate(buf(leafDer));
  const issuer = new x509.X509Certificate(buf(issuerDer));
  const url = ocspResponder(leaf);
  if (!url) return { status: "no_responder" };
  const id = await certId(leaf, issuer);
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert: id })] }),
  });
  let body: ArrayBuffer;
  try {
    const res = await opts.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body: AsnConvert.serialize(request),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    if (!res.ok)
      return { status: "unreachable", detail: `OCSP responder returns bad HTTP status code: ${res.status}` };
    body = await res.arrayBuffer();
  } catch (e) {
    return {
      status: "unreachable",
      detail: `failed to send request to OCSP responder: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  try {
    const response = AsnConvert.parse(body, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful || !response.responseBytes) {
      return { status: "invalid", detail: `responder status ${response.responseStatus}` };
    }
    if (response.responseBytes.responseType !== id_pkix_ocsp_basic) {
      return { status: "invalid", detail: "not a basic OCSP response" };
    }
    const basic = AsnConvert.parse(response.responseBytes.response, BasicOCSPResponse);
    const tbs = AsnConvert.serialize(basic.tbsResponseData);
    const algorithm = basic.signatureAlgorithm.algorithm;
    let signer: x509.X509Certificate | undefined;
    if (await signedBy(tbs, basic.signature, algorithm, issuer)) signer = issuer;
    for (const c of basic.certs ?? []) {
      if (signer) break;
      const delegate = new x509.X509Certificate(AsnConvert.serialize(c));
      const eku = delegate.getExtension(x509.ExtendedKeyUsageExtension);
      const delegated =
        (await delegate.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false)) &&
        eku?.usages.map(String).includes(id_kp_OCSPSigning);
      if (delegated && (await signedBy(tbs, basic.signature, algorithm, delegate))) signer = delegate;
    }
    if (!signer) return { status: "invalid", detail: "response not signed by the issuer or its responder" };
    const serial = leaf.serialNumber.replace(/^0+/, "").toLowerCase();
    const single = basic.tbsResponseData.responses.find(
      (r) => hexOf(r.certID.serialNumber).replace(/^0+/, "") === serial,
    );
    if (!single) return { status: "invalid", detail: "response is about another certificate" };
    const skew = 5 * 60_000;
    if (single.thisUpdate.getTime() > opts.now + skew)
      return { status: "invalid", detail: "response from the future" };
    if (single.nextUpdate && single.nextUpdate.getTime() < opts.now - skew) {
      return { status: "invalid", detail: "response expired" };
    }
    if (single.certStatus.good !== undefined) return { status: "good" };
    if (single.certStatus.revoked) return { status: "revoked" };
    return { status: "unknown" };
  } catch (e) {
    return { status: "invalid", detail: e instanceof Error ? e.message : String(e) };
  }
}

function hexOf(b: ArrayBuffer): string {
  return Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** What Kong's CP logs about a DP certificate's OCSP check, worded as Kong words it. */
export function describeOcsp(outcome: OcspOutcome): string {
  switch (outcome.status) {
    case "good":
      return "data plane client certificate is good according to its OCSP responder";
    case "revoked":
    case "unknown":
      return `data plane client certificate ${outcome.status === "revoked" ? "was revoked" : "revocation check failed"}: failed to validate OCSP response: certificate status "${outcome.status}" in the OCSP response`;
    case "no_responder":
      return "data plane client certificate revocation check failed: OCSP responder endpoint can not be determined, maybe the client certificate is missing the required extensions";
    case "unreachable":
      return `data plane client certificate revocation check failed: ${outcome.detail}`;
    case "invalid":
      return `data plane client certificate revocation check failed: failed to validate OCSP response: ${outcome.detail}`;
  }
}

/** Kong's semantics: `on` lets in only a good answer; `optional` refuses only a revocation. */
export function ocspAllows(mode: OcspMode, outcome: OcspOutcome): boolean {
  if (mode === "off") return true;
  if (outcome.status === "revoked") return false;
  if (mode === "on") return outcome.status === "good";
  return true;
}
