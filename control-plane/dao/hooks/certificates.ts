import { createHash, createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { asc, eq, inArray } from "drizzle-orm";
import { schemaViolation } from "../../../shared/schema/errors";
import type { FieldErrors } from "../../../shared/schema/types";
import { err, ok } from "../../../shared/util/result";
import type { Db } from "../../db/client";
import { snis } from "../../db/schema";
import type { Entity, EntityHooks, HookContext } from "../entity-dao";

const spki = (key: KeyObject) => key.export({ type: "spki", format: "der" });

/**
 * Whether the key is the certificate's: their public keys compared. (workerd's
 * `X509Certificate.checkPrivateKey` answers false for a matching pair, and the managed control
 * plane runs this hook there.)
 */
function matches(certPem: string, keyPem: string): boolean | undefined {
  try {
    const certificateKey = spki(new X509Certificate(certPem).publicKey);
    return certificateKey.equals(spki(createPublicKey(createPrivateKey(keyPem))));
  } catch {
    return undefined;
  }
}

function keyType(certPem: string): string | undefined {
  try {
    return new X509Certificate(certPem).publicKey.asymmetricKeyType;
  } catch {
    return undefined;
  }
}

/**
 * The names a write binds (Kong's `snis` shorthand): undefined when a PATCH says nothing of them; a
 * PUT without them unbinds them all.
 */
function requestedSnis(input: Record<string, unknown>, mode: HookContext["mode"]): string[] | undefined {
  if (!("snis" in input)) return mode === "upsert" ? [] : undefined;
  return Array.isArray(input.snis) ? [...(input.snis as string[])].sort() : [];
}

async function snisOf(db: Db, certificateId: string): Promise<string[]> {
  const rows = await db
    .select({ name: snis.name })
    .from(snis)
    .where(eq(snis.certificate_id, certificateId))
    .orderBy(asc(snis.name));
  return rows.map((r) => r.name);
}

/**
 * Certificates: the key must belong to the certificate (and the alternative pair to each other, of
 * another key type), and the `snis` given with a certificate become SNI entities bound to it. A PUT
 * without `snis` unbinds them all, as in Kong.
 */
export function certificateHooks(db: Db): EntityHooks {
  return {
    async beforeWrite(entity, { input, existing, mode }) {
      const errors: string[] = [];
      const cert = String(entity.cert);
      const certOk = matches(cert, String(entity.key));
      if (certOk === undefined) {
        return err(schemaViolation({ cert: "invalid certificate: could not parse the certificate or key" }));
      }
      if (!certOk) errors.push("certificate does not match key");
      if (typeof entity.cert_alt === "string" && typeof entity.key_alt === "string") {
        if (!matches(entity.cert_alt, entity.key_alt))
          errors.push("alternative certificate does not match key");
        else if (keyType(cert) === keyType(entity.cert_alt)) {
          errors.push(
            "certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type",
          );
        }
      }
      if (errors.length) return err(schemaViolation({ "@entity": errors }));
      const names = requestedSnis(input, mode);
      if (names) {
        const seen = new Set<string>();
        for (const name of names) {
          if (seen.has(name)) return err(schemaViolation({ snis: `${name} is duplicated` } as FieldErrors));
          seen.add(name);
        }
        const taken = names.length ? await db.select().from(snis).where(inArray(snis.name, names)) : [];
        const other = taken.find((s) => s.certificate_id !== entity.id && s.certificate_id !== existing?.id);
        if (other) {
          return err(
            schemaViolation({
              snis: `${other.name} already associated with existing certificate '${other.certificate_id}'`,
            } as FieldErrors),
          );
        }
      }
      return ok(entity);
    },
    async afterWrite(tx, entity, { input, mode }) {
      const names = requestedSnis(input, mode);
      if (names === undefined) return;
      await tx.delete(snis).where(eq(snis.certificate_id, entity.id));
      const now = Math.floor(Date.now() / 1000);
      if (names.length) {
        await tx.insert(snis).values(
          names.map((name) => ({
            id: crypto.randomUUID(),
            name,
            certificate_id: entity.id,
            created_at: now,
            updated_at: now,
          })),
        );
      }
    },
    async present(entity: Entity) {
      return { ...entity, snis: await snisOf(db, entity.id) };
    },
  };
}

/**
 * CA certificates: one certificate, not expired, with the CA basic constraint; `cert_digest` is
 * the SHA-256 of its DER, whatever the client sent.
 */
export const caCertificateHooks: EntityHooks = {
  async beforeWrite(entity) {
    const cert = String(entity.cert);
    const problem = (message: string) => err(schemaViolation({ "@entity": [message] }));
    if ((cert.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length > 1) {
      return problem("please submit only one certificate at a time");
    }
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch {
      return err(schemaViolation({ cert: "invalid certificate: could not parse the certificate" }));
    }
    if (new Date(x509.validTo).getTime() < Date.now()) {
      return problem('certificate expired, "Not After" time is in the past');
    }
    if (!x509.ca) {
      return problem(
        'certificate does not appear to be a CA because it is missing the "CA" basic constraint',
      );
    }
    return ok({ ...entity, cert_digest: createHash("sha256").update(x509.raw).digest("hex") });
  },
};
