import { buf, utf8 } from "./bytes";

/**
 * Compares two secrets in time that depends on neither: both are hashed first, so length and
 * content leak nothing, then every byte of the digests is compared.
 */
export async function secretsEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", buf(utf8.encode(given))),
    crypto.subtle.digest("SHA-256", buf(utf8.encode(expected))),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
