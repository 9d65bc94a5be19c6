import { base64ToBytes, bytesToBase64, fromUtf8 } from "../util/bytes";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export type PemBlock = { label: string; der: Uint8Array };

/**
 * Kong accepts certificates and keys as PEM text or as base64-encoded PEM; both are normalised here
 * (reading a file path is the runtime's job).
 */
export function normalisePem(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) return trimmed;
  try {
    const decoded = fromUtf8.decode(base64ToBytes(trimmed)).trim();
    if (decoded.startsWith("-----BEGIN")) return decoded;
  } catch {
    // not base64: fall through and let the caller report that no PEM block was found
  }
  return trimmed;
}

export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of normalisePem(text).matchAll(BLOCK)) {
    out.push({ label: m[1] ?? "", der: base64ToBytes(m[2] ?? "") });
  }
  return out;
}

export function certificatesDer(text: string): Uint8Array[] {
  return pemBlocks(text)
    .filter((b) => b.label === "CERTIFICATE")
    .map((b) => b.der);
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const lines = bytesToBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
