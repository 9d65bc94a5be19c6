import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const DEFAULT_CERT_DAYS = 3 * 365;

export type PemPair = { certPem: string; keyPem: string };

/** A self-signed EC P-384 certificate as `kong hybrid gen_cert` makes it: `CN=kong_clustering`. */
export async function createClusterCertificate(
  days = DEFAULT_CERT_DAYS,
  opts: { notBefore?: Date; name?: string } = {},
): Promise<PemPair> {
  const alg = { name: "ECDSA", namedCurve: "P-384", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = opts.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: opts.name ?? "CN=kong_clustering",
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { certPem: `${cert.toString("pem")}\n`, keyPem };
}

/** A self-signed EC P-256 server certificate (the Admin API's default HTTPS certificate). */
export async function createSelfSignedCertificate(opts: {
  name: string;
  days: number;
  sans: string[];
}): Promise<PemPair> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString("hex")
      .replace(/^[89a-f]/, "1"),
    name: opts.name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + opts.days * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        opts.sans.map((v) =>
          /^[\d.]+$/.test(v) ? { type: "ip" as const, value: v } : { type: "dns" as const, value: v },
        ),
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { certPem: `${cert.toString("pem")}\n`, keyPem };
}

/**
 * Writes a cluster certificate and key as `kong hybrid gen_cert` does: the key file readable by its
 * owner only. Existing files are never overwritten.
 */
export async function generateClusterCertificate(
  certPath: string,
  keyPath: string,
  days = DEFAULT_CERT_DAYS,
) {
  for (const path of [certPath, keyPath]) {
    if (existsSync(path)) throw new Error(`${path} already exists.\nWill not overwrite it.`);
  }
  const { certPem, keyPem } = await createClusterCertificate(days);
  writeFileSync(certPath, certPem, { mode: 0o644, flag: "wx" });
  chmodSync(certPath, 0o644);
  writeFileSync(keyPath, keyPem, { mode: 0o600, flag: "wx" });
  chmodSync(keyPath, 0o600);
}
