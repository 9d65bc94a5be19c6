import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import { base64ToBytes, bytesToBase64, fromUtf8, utf8 } from "../util/bytes";
import { err, ok, type Result } from "../util/result";
import { type ClusterIdentity, certificateKey } from "./keys";
import type { TrustError, TrustPolicy } from "./trust";

/**
 * The audience of every handshake: Kong's name for the cluster endpoint. Tokens are bound to a node
 * id, live at most a minute and are accepted once, so the audience only keeps them from being
 * mistaken for other JWTs.
 */
export const CLUSTER_AUDIENCE = "kong_clustering";

/** The longest a handshake token may live, in seconds. */
export const HANDSHAKE_MAX_TTL = 60;
const CLOCK_SKEW = 30;

export type HandshakeClaims = {
  node_id: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
};

/**
 * The DP's proof that it holds its cluster key: a short-lived JWS carrying its certificate chain
 * (`x5c`). It replaces the TLS client certificate where a platform terminates TLS for us.
 */
export async function signHandshake(
  identity: ClusterIdentity,
  claims: { node_id: string; aud: string; now: number; jti: string; ttl?: number },
): Promise<string> {
  const iat = Math.floor(claims.now / 1000);
  const body: HandshakeClaims = {
    node_id: claims.node_id,
    aud: claims.aud,
    iat,
    exp: iat + Math.min(claims.ttl ?? HANDSHAKE_MAX_TTL, HANDSHAKE_MAX_TTL),
    jti: claims.jti,
  };
  return new CompactSign(utf8.encode(JSON.stringify(body)))
    .setProtectedHeader({
      alg: identity.alg,
      typ: "lintel-handshake+jwt",
      x5c: identity.chain.map(bytesToBase64),
    })
    .sign(identity.privateKey);
}

export type HandshakeError =
  | { reason: "malformed" }
  | { reason: "bad_signature" }
  | { reason: "untrusted"; detail: TrustError }
  | { reason: "wrong_audience"; aud: unknown }
  | { reason: "expired"; exp: number; now: number }
  | { reason: "not_yet_valid"; iat: number; now: number }
  | { reason: "lifetime_too_long"; ttl: number }
  | { reason: "replayed"; jti: string }
  | { reason: "node_id_mismatch"; claimed: string; query: string };

export type VerifiedHandshake = { claims: HandshakeClaims; chain: Uint8Array[] };

/**
 * Where token ids are remembered until they expire, so that a captured token cannot be used twice:
 * in memory on a Node CP, in the Hub Durable Object's storage on the managed CP.
 */
export interface ReplayStore {
  /** Records `jti` until `exp` (seconds); false when it was recorded before and has not expired. */
  admit(jti: string, exp: number, nowSeconds: number): boolean | Promise<boolean>;
}

/** Remembers token ids in memory until they expire. */
export class ReplayGuard implements ReplayStore {
  private readonly seen = new Map<string, number>();

  /** Returns false when `jti` was seen before. */
  admit(jti: string, exp: number, nowSeconds: number): boolean {
    for (const [id, until] of this.seen) if (until < nowSeconds) this.seen.delete(id);
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, exp);
    return true;
  }
}

export async function verifyHandshake(
  token: string,
  opts: { audience: string; now: number; trust: TrustPolicy; replay: ReplayStore },
): Promise<Result<VerifiedHandshake, HandshakeError>> {
  let alg: string;
  let chain: Uint8Array[];
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg !== "string" || !Array.isArray(header.x5c) || header.x5c.length === 0) {
      return err({ reason: "malformed" });
    }
    alg = header.alg;
    chain = header.x5c.map((c) => base64ToBytes(String(c)));
  } catch {
    return err({ reason: "malformed" });
  }
  const trusted = await opts.trust(chain);
  if (!trusted.ok) return err({ reason: "untrusted", detail: trusted.error });
  const key = await certificateKey(chain[0] as Uint8Array, alg);
  if (!key) return err({ reason: "bad_signature" });
  let claims: HandshakeClaims;
  try {
    const { payload } = await compactVerify(token, key, { algorithms: [alg] });
    claims = JSON.parse(fromUtf8.decode(payload));
  } catch {
    return err({ reason: "bad_signature" });
  }
  if (
    typeof claims !== "object" ||
    claims === null ||
    typeof claims.node_id !== "string" ||
    typeof claims.iat !== "number" ||
    typeof claims.exp !== "number" ||
    typeof claims.jti !== "string"
  ) {
    return err({ reason: "malformed" });
  }
  if (claims.aud !== opts.audience) return err({ reason: "wrong_audience", aud: claims.aud });
  const now = Math.floor(opts.now / 1000);
  if (claims.exp - claims.iat > HANDSHAKE_MAX_TTL) {
    return err({ reason: "lifetime_too_long", ttl: claims.exp - claims.iat });
  }
  if (claims.exp + CLOCK_SKEW < now) return err({ reason: "expired", exp: claims.exp, now });
  if (claims.iat - CLOCK_SKEW > now) return err({ reason: "not_yet_valid", iat: claims.iat, now });
  if (!(await opts.replay.admit(claims.jti, claims.exp + CLOCK_SKEW, now))) {
    return err({ reason: "replayed", jti: claims.jti });
  }
  return ok({ claims, chain });
}
