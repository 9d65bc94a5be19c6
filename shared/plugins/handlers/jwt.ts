import { compactVerify, importSPKI } from "jose";
import { JWT_ALGORITHMS } from "../../entities/credentials";
import { base64ToBytes, fromUtf8, utf8 } from "../../util/bytes";
import { orAnonymous, setConsumer } from "../runtime/authenticate";
import type { Exit, JwtSecret, PluginHandler, PluginRequest } from "../runtime/types";

type Config = {
  uri_param_names: string[];
  cookie_names: string[];
  header_names: string[];
  key_claim_name: string;
  secret_is_base64: boolean;
  claims_to_verify: Array<"exp" | "nbf"> | null;
  anonymous: string | null;
  run_on_preflight: boolean;
  maximum_expiration: number;
  realm: string | null;
};

const ALGORITHMS = new Set<string>(JWT_ALGORITHMS);

/** Imported verification keys, by credential and algorithm: imported once, not per request. */
const keys = new Map<string, Promise<CryptoKey | Uint8Array>>();

function verificationKey(
  secret: JwtSecret,
  alg: string,
  base64: boolean,
): Promise<CryptoKey | Uint8Array> | undefined {
  const id = `${secret.id}|${alg}|${base64}|${secret.secret ?? ""}|${secret.rsa_public_key ?? ""}`;
  let key = keys.get(id);
  if (!key) {
    if (alg.startsWith("HS")) {
      if (!secret.secret) return undefined;
      key = Promise.resolve(base64 ? base64ToBytes(secret.secret) : utf8.encode(secret.secret));
    } else {
      if (!secret.rsa_public_key) return undefined;
      key = importSPKI(secret.rsa_public_key, alg);
    }
    if (keys.size > 10_000) keys.clear();
    keys.set(id, key);
  }
  return key;
}

function b64url(part: string): unknown {
  return JSON.parse(fromUtf8.decode(base64ToBytes(part.replace(/-/g, "+").replace(/_/g, "/"))));
}

/** Kong's `retrieve_tokens`: query parameters, cookies, then `Bearer` headers; duplicates count once. */
function tokens(req: PluginRequest, conf: Config): string[] {
  const set = new Set<string>();
  for (const name of conf.uri_param_names) for (const t of req.query.getAll(name)) if (t !== "") set.add(t);
  const cookies = req.headers.get("cookie") ?? "";
  for (const name of conf.cookie_names) {
    for (const part of cookies.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === name && part.slice(eq + 1).trim() !== "")
        set.add(part.slice(eq + 1).trim());
    }
  }
  for (const name of conf.header_names) {
    const m = /\s*[Bb]earer\s+(.+)/.exec(req.headers.get(name) ?? "");
    if (m?.[1]) set.add(m[1]);
  }
  return [...set];
}

async function authenticate(
  req: PluginRequest,
  conf: Config,
  env: Parameters<NonNullable<PluginHandler["access"]>>[2],
): Promise<Exit | undefined> {
  const base = conf.realm ? `Bearer realm="${conf.realm}"` : "Bearer";
  const withError = conf.realm ? `${base}, error="invalid_token"` : 'Bearer error="invalid_token"';
  const refuse = (body: unknown, challenge = withError): Exit => ({
    status: 401,
    json: body,
    headers: { "www-authenticate": challenge },
  });
  const found = tokens(req, conf);
  if (found.length === 0) return refuse({ message: "Unauthorized" }, base);
  if (found.length > 1) return refuse({ message: "Multiple tokens provided" });
  const token = found[0] as string;
  const [h64 = "", c64 = "", s64] = token.split(".");
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = b64url(h64) as Record<string, unknown>;
    claims = b64url(c64) as Record<string, unknown>;
    if (s64 === undefined) throw new Error("no signature");
  } catch {
    return refuse({ message: "Bad token; invalid JSON" });
  }
  if (typeof header.alg !== "string" || !ALGORITHMS.has(header.alg))
    return refuse({ message: "Bad token; invalid alg" });
  const claim = claims[conf.key_claim_name] ?? header[conf.key_claim_name];
  if (claim === undefined || claim === null)
    return refuse({ message: `No mandatory '${conf.key_claim_name}' in claims` });
  if (claim === "") return refuse({ message: `Invalid '${conf.key_claim_name}' in claims` });
  const secret = await env.consumers.jwtSecret(String(claim));
  if (!secret) return refuse({ message: `No credentials found for given '${conf.key_claim_name}'` });
  const alg = secret.algorithm ?? "HS256";
  if (header.alg !== alg) return refuse({ message: "Invalid algorithm" });
  const key = verificationKey(secret, alg, conf.secret_is_base64);
  if (!key) return refuse({ message: "Invalid key/secret" });
  try {
    await compactVerify(token, await key, { algorithms: [alg] });
  } catch {
    return refuse({ message: "Invalid signature" });
  }
  const now = Math.floor(Date.now() / 1000);
  const errors: Record<string, string> = {};
  for (const name of conf.claims_to_verify ?? []) {
    const v = claims[name];
    if (typeof v !== "number") errors[name] = "must be a number";
    else if (name === "exp" && v <= now) errors.exp = "token expired";
    else if (name === "nbf" && v > now) errors.nbf = "token not valid yet";
  }
  if (Object.keys(errors).length) return refuse(errors);
  if (conf.maximum_expiration > 0) {
    const exp = claims.exp;
    if (typeof exp !== "number" || exp - now > conf.maximum_expiration) {
      return refuse({ exp: "exceeds maximum allowed expiration" });
    }
  }
  const consumer = await env.consumers.consumer(secret.consumer.id);
  if (!consumer)
    return {
      status: 401,
      json: { message: `Could not find consumer for '${conf.key_claim_name}=${claim}'` },
    };
  setConsumer(req, consumer, secret);
  // Kong identifies a JWT credential by its key
  req.upstreamHeaders.set("x-credential-identifier", secret.key);
  return undefined;
}

/** Kong's jwt: HS, RS, ES, PS and EdDSA tokens against the consumers' JWT credentials. */
export const jwt: PluginHandler<Config> = {
  name: "jwt",
  priority: 1450,
  async access(req, conf, env) {
    if (!conf.run_on_preflight && req.method === "OPTIONS") return undefined;
    if (conf.anonymous && req.credential) return undefined;
    const refused = await authenticate(req, conf, env);
    return refused ? orAnonymous(req, conf.anonymous, env, refused) : undefined;
  },
};
