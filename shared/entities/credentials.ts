import { conditional, required } from "../schema/checks";
import type { EntitySchema, Field } from "../schema/types";
import * as t from "./typedefs";

/** Kong's random strings for generated keys and secrets: 32 characters of [A-Za-z0-9]. */
export function randomKey(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let out = "";
  // 248 is the largest multiple of 62 below 256: bytes above it are redrawn, so no character is favoured
  for (let i = 0; out.length < 32; i++) {
    const b =
      i < bytes.length ? (bytes[i] as number) : (crypto.getRandomValues(new Uint8Array(1))[0] as number);
    if (b < 248) out += alphabet[b % 62];
  }
  return out;
}

const credentialFields = (extra: Record<string, Field>): Record<string, Field> => ({
  id: t.uuid(),
  created_at: t.timestamp(),
  consumer: { type: "foreign", reference: "consumers", required: true },
  ...extra,
  tags: t.tags(),
});

export const keyauthCredentialsSchema: EntitySchema = {
  name: "keyauth_credentials",
  endpointKey: "key",
  fields: credentialFields({ key: { type: "string" } }),
  auto: { key: randomKey },
};

export const basicauthCredentialsSchema: EntitySchema = {
  name: "basicauth_credentials",
  endpointKey: "username",
  fields: credentialFields({
    username: { type: "string", required: true },
    password: { type: "string", required: true },
  }),
};

export const JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

export const jwtSecretsSchema: EntitySchema = {
  name: "jwt_secrets",
  endpointKey: "key",
  fields: credentialFields({
    key: { type: "string" },
    secret: { type: "string" },
    rsa_public_key: { type: "string" },
    algorithm: { type: "string", default: "HS256", oneOf: JWT_ALGORITHMS },
  }),
  auto: { key: randomKey, secret: randomKey },
  checks: [
    conditional(
      "algorithm",
      (a) => typeof a === "string" && /^(RS256|RS384|RS512|PS256|PS384|PS512|EdDSA)$/.test(a),
      "rsa_public_key",
      required,
    ),
  ],
};

export const aclsSchema: EntitySchema = {
  name: "acls",
  fields: credentialFields({ group: { type: "string", required: true } }),
};
