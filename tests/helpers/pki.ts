import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
let serial = 1;

export type Issued = {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  der: Uint8Array;
  keyPem: string;
};

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A certificate made at test time: a CA (self-signed, or signed by `issuer`) or a leaf, with the
 * validity, constraints and usages a case needs.
 */
export async function issue(opts: {
  name: string;
  issuer?: Issued;
  ca?: boolean;
  pathLength?: number;
  eku?: string[];
  dns?: string[];
  keyUsage?: x509.KeyUsageFlags;
  /** An OCSP responder URL for the Authority Information Access extension. */
  ocsp?: string;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [];
  if (opts.ca !== undefined)
    extensions.push(new x509.BasicConstraintsExtension(opts.ca, opts.pathLength, true));
  if (opts.eku) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku));
  if (opts.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(opts.keyUsage, true));
  if (opts.ocsp) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [opts.ocsp] }));
  if (opts.dns)
    extensions.push(
      new x509.SubjectAlternativeNameExtension(opts.dns.map((value) => ({ type: "dns" as const, value }))),
    );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    subject: `CN=${opts.name}`,
    issuer: opts.issuer ? opts.issuer.cert.subject : `CN=${opts.name}`,
    notBefore: opts.notBefore ?? new Date(Date.now() - 3600_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 30 * 86400_000),
    publicKey: keys.publicKey,
    signingKey: (opts.issuer?.keys ?? keys).privateKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return {
    cert,
    keys,
    pem: cert.toString("pem"),
    der: new Uint8Array(cert.rawData),
    keyPem: await keyPem(keys),
  };
}

export const KeyUsage = x509.KeyUsageFlags;
export const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** A root CA, one intermediate, a DP (client) leaf and a CP (server) leaf named `cp.lintel.test`. */
export async function hierarchy() {
  const root = await issue({ name: "Lintel Test Root", ca: true });
  const intermediate = await issue({
    name: "Lintel Test Intermediate",
    issuer: root,
    ca: true,
    pathLength: 0,
  });
  const dp = await issue({ name: "dp-1", issuer: intermediate, eku: [CLIENT_AUTH] });
  const cp = await issue({
    name: "cp.lintel.test",
    issuer: intermediate,
    eku: [SERVER_AUTH],
    dns: ["cp.lintel.test"],
  });
  return { root, intermediate, dp, cp };
}
