import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { normalisePem } from "../../shared/cluster/pem";

/**
 * Reads a certificate or key option as Kong accepts it: PEM text, base64-encoded PEM, or a path to
 * a PEM file. Errors use Kong's messages.
 */
export function readPemOption(option: string, value: string, kind: "certificate" | "key"): string {
  const inline = normalisePem(value);
  let text: string;
  if (inline.startsWith("-----BEGIN")) {
    text = inline;
  } else {
    try {
      text = readFileSync(value, "utf8");
    } catch {
      throw new Error(`${option}: failed loading ${kind} from ${value}`);
    }
    if (!text.includes("-----BEGIN")) throw new Error(`${option}: failed loading ${kind} from ${value}`);
  }
  if (kind === "certificate") return text;
  // Keys may be SEC1 (`EC PRIVATE KEY`) or PKCS#1; the cluster code takes PKCS#8.
  try {
    return createPrivateKey(text).export({ format: "pem", type: "pkcs8" }).toString();
  } catch {
    throw new Error(`${option}: failed loading key from ${value}`);
  }
}
