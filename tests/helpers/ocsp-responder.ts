import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Issued } from "./pki";
import { waitFor } from "./wait";

const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, "").slice(2, 14)}Z`;

/**
 * A real OCSP responder: `openssl ocsp` serving an index in which the given certificates are valid
 * or revoked, signed by their CA.
 */
export async function startOcspResponder(
  dir: string,
  ca: Issued,
  entries: Array<{ cert: Issued; revoked: boolean }>,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  writeFileSync(join(dir, "ocsp-ca.pem"), ca.pem);
  writeFileSync(join(dir, "ocsp-ca.key"), ca.keyPem, { mode: 0o600 });
  const lines = entries.map(({ cert, revoked }) =>
    [
      revoked ? "R" : "V",
      asn1Time(cert.cert.notAfter),
      revoked ? asn1Time(new Date(Date.now() - 60_000)) : "",
      cert.cert.serialNumber.toUpperCase(),
      "unknown",
      `/${cert.cert.subject.replace(/, /g, "/")}`,
    ].join("\t"),
  );
  writeFileSync(join(dir, "index.txt"), `${lines.join("\n")}\n`);
  const proc: ChildProcess = spawn(
    "openssl",
    [
      "ocsp",
      "-index",
      join(dir, "index.txt"),
      "-port",
      String(port),
      "-rsigner",
      join(dir, "ocsp-ca.pem"),
      "-rkey",
      join(dir, "ocsp-ca.key"),
      "-CA",
      join(dir, "ocsp-ca.pem"),
      "-nmin",
      "5",
      "-ignore_err",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  // it serves one connection at a time, so no probe: it says when it listens
  let said = "";
  proc.stdout?.on("data", (d) => {
    said += d;
  });
  proc.stderr?.on("data", (d) => {
    said += d;
  });
  await waitFor("the OCSP responder to listen", () =>
    said.includes("waiting for OCSP client connections") ? true : undefined,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((r) => {
        if (proc.exitCode !== null) return r();
        proc.once("exit", () => r());
        proc.kill();
      }),
  };
}
