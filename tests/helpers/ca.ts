import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

/** A self-signed certificate made at test time; `ca` sets the CA basic constraint. */
export async function testCertificate(opts: { ca: boolean; days?: number; name?: string }): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(
    Date.now() - (opts.days !== undefined && opts.days < 0 ? 10 : 0) * 86_400_000 - 60_000,
  );
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: opts.name ?? "CN=Test CA",
    notBefore,
    notAfter: new Date(Date.now() + (opts.days ?? 30) * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(opts.ca, undefined, true)],
  });
  return cert.toString("pem");
}
