import { mutuallyRequired } from "../schema/checks";
import type { EntitySchema } from "../schema/types";
import * as t from "./typedefs";

const pem = (label: string) => (v: string) =>
  v.includes(`-----BEGIN ${label}`) ||
  (label === "PRIVATE KEY" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v))
    ? undefined
    : label === "CERTIFICATE"
      ? "invalid certificate: PEM_read_bio_X509_AUX() failed"
      : "invalid key: could not read the key";

/**
 * Certificates: the PEM checks here are the shape only; that a key belongs to its certificate is
 * checked where certificates can be parsed (the control plane).
 */
export const certificatesSchema: EntitySchema = {
  name: "certificates",
  fields: {
    id: t.uuid(),
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    cert: { type: "string", required: true, check: pem("CERTIFICATE") },
    key: { type: "string", required: true, check: pem("PRIVATE KEY") },
    cert_alt: { type: "string", check: pem("CERTIFICATE") },
    key_alt: { type: "string", check: pem("PRIVATE KEY") },
    tags: t.tags(),
    // transient: the SNI entities to bind to this certificate
    snis: { type: "array", elements: t.wildcardHost() },
  },
  checks: [mutuallyRequired("cert_alt", "key_alt")],
};

export const snisSchema: EntitySchema = {
  name: "snis",
  endpointKey: "name",
  fields: {
    id: t.uuid(),
    name: { ...t.wildcardHost(), required: true },
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    tags: t.tags(),
    certificate: { type: "foreign", reference: "certificates", required: true },
  },
};

export const caCertificatesSchema: EntitySchema = {
  name: "ca_certificates",
  fields: {
    id: t.uuid(),
    created_at: t.timestamp(),
    updated_at: t.timestamp(),
    cert: { type: "string", required: true, check: pem("CERTIFICATE") },
    cert_digest: { type: "string" },
    tags: t.tags(),
  },
};
