import { base64ToBytes, sha256Hex } from "../shared/util/bytes";

type TlsClientAuth = { certPresented?: string; certFingerprintSHA256?: string; certRevoked?: string };

/** An RFC 9440 byte sequence (`:base64:`), as DER. */
function sfBinary(item: string): Uint8Array | undefined {
  const m = /^:([A-Za-z0-9+/=]+):$/.exec(item.trim());
  if (!m) return undefined;
  try {
    return base64ToBytes(m[1] as string);
  } catch {
    return undefined;
  }
}

/**
 * The client certificate of the TLS connection, as the edge forwards it (RFC 9440 Client-Cert and
 * Client-Cert-Chain headers), taken only when it is the certificate Cloudflare saw on the
 * connection (`request.cf.tlsClientAuth`): a client cannot make its own.
 */
export async function clientCertificate(
  request: Request,
): Promise<{ chain: Uint8Array[]; revoked: boolean } | undefined> {
  const tls = (request.cf as { tlsClientAuth?: TlsClientAuth } | undefined)?.tlsClientAuth;
  if (tls?.certPresented !== "1" || !tls.certFingerprintSHA256) return undefined;
  const leaf = sfBinary(request.headers.get("client-cert") ?? "");
  if (!leaf || (await sha256Hex(leaf)) !== tls.certFingerprintSHA256.toLowerCase()) return undefined;
  const chain = (request.headers.get("client-cert-chain") ?? "")
    .split(",")
    .map(sfBinary)
    .filter((d): d is Uint8Array => d !== undefined);
  return { chain: [leaf, ...chain], revoked: tls.certRevoked === "1" };
}
