import { pemBlocks } from "../cluster/pem";
import { buf, concatBytes, utf8 } from "../util/bytes";

const SALT = utf8.encode("lintel data plane config cache");
const INFO = utf8.encode("aes-256-gcm v1");

/**
 * The key of the encrypted config cache: HKDF-SHA-256 over the DP's cluster private key, so only a
 * holder of that key can read the cache (Kong's `data_plane_config_cache_mode = encrypted`).
 */
export async function cacheKey(privateKeyPem: string): Promise<CryptoKey | undefined> {
  const block = pemBlocks(privateKeyPem).find((b) => b.label.endsWith("PRIVATE KEY"));
  if (!block) return undefined;
  const ikm = await crypto.subtle.importKey("raw", buf(block.der), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: buf(SALT), info: buf(INFO) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** AES-256-GCM with the config hash as associated data: `iv (12 bytes) | ciphertext`. */
export async function sealCache(key: CryptoKey, plaintext: Uint8Array, hash: string): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: buf(utf8.encode(hash)) },
    key,
    buf(plaintext),
  );
  return concatBytes([iv, new Uint8Array(ct)]);
}

/** Undefined when the value was not sealed with this key for this hash (tampered, or another DP's). */
export async function openCache(
  key: CryptoKey,
  sealed: Uint8Array,
  hash: string,
): Promise<Uint8Array | undefined> {
  if (sealed.length < 28) return undefined;
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: buf(sealed.subarray(0, 12)), additionalData: buf(utf8.encode(hash)) },
      key,
      buf(sealed.subarray(12)),
    );
    return new Uint8Array(pt);
  } catch {
    return undefined;
  }
}
