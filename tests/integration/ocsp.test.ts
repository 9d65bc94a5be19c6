import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { loadClusterIdentity } from "../../shared/cluster/keys";
import { checkOcsp, type OcspMode, type OcspOutcome, ocspAllows } from "../../shared/cluster/ocsp";
import { parseConf } from "../../shared/conf/options";
import { startOcspResponder } from "../helpers/ocsp-responder";
import { dialOutlet } from "../helpers/outlet";
import { CLIENT_AUTH, type Issued, issue, SERVER_AUTH } from "../helpers/pki";
import { freePort } from "../helpers/ports";

/** `cluster_ocsp` against a real OCSP responder (`openssl ocsp`), with Kong's on/optional rules. */
describe("OCSP", () => {
  let dir: string;
  let ca: Issued;
  let good: Issued;
  let revoked: Issued;
  let noResponder: Issued;
  let down: Issued;
  let responder: Awaited<ReturnType<typeof startOcspResponder>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-ocsp-"));
    const port = await freePort();
    const deadPort = await freePort();
    ca = await issue({ name: "OCSP Test CA", ca: true });
    const url = `http://127.0.0.1:${port}`;
    good = await issue({ name: "dp-good", issuer: ca, eku: [CLIENT_AUTH], ocsp: url });
    revoked = await issue({ name: "dp-revoked", issuer: ca, eku: [CLIENT_AUTH], ocsp: url });
    noResponder = await issue({ name: "dp-plain", issuer: ca, eku: [CLIENT_AUTH] });
    down = await issue({
      name: "dp-down",
      issuer: ca,
      eku: [CLIENT_AUTH],
      ocsp: `http://127.0.0.1:${deadPort}`,
    });
    responder = await startOcspResponder(
      dir,
      ca,
      [
        { cert: good, revoked: false },
        { cert: revoked, revoked: true },
      ],
      port,
    );
  });
  afterAll(async () => {
    await responder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (leaf: Issued) => checkOcsp(leaf.der, ca.der, { fetch, now: Date.now(), timeoutMs: 3000 });

  it("asks the responder named in the certificate and reads its signed answer", async () => {
    expect(await check(good)).toEqual({ status: "good" });
    expect(await check(revoked)).toEqual({ status: "revoked" });
  });

  it("tells a certificate without responder and a responder that is down", async () => {
    expect(await check(noResponder)).toEqual({ status: "no_responder" });
    expect((await check(down)).status).toBe("unreachable");
  });

  it("refuses an answer signed by someone else", async () => {
    const otherCa = await issue({ name: "OCSP Test CA", ca: true });
    const outcome = await checkOcsp(good.der, otherCa.der, { fetch, now: Date.now() });
    expect(outcome.status).toBe("invalid");
  });

  it.each<[OcspOutcome["status"], boolean, boolean]>([
    ["good", true, true],
    ["revoked", false, false],
    ["unreachable", false, true],
    ["no_responder", false, true],
    ["unknown", false, true],
  ])("%s: on lets in %s, optional %s (Kong's cluster_ocsp)", (status, on, optional) => {
    const outcome = { status, detail: "" } as OcspOutcome;
    expect(ocspAllows("on", outcome)).toBe(on);
    expect(ocspAllows("optional", outcome)).toBe(optional);
    expect(ocspAllows("off", outcome)).toBe(true);
  });

  describe("a control plane with cluster_mtls = pki (09-hybrid_mode/05-ocsp_spec.lua)", () => {
    const planes: ControlPlane[] = [];
    afterAll(async () => {
      await Promise.all(planes.map((cp) => cp.close()));
    });

    async function controlPlane(mode: OcspMode, extra: Record<string, string> = {}) {
      const cp = await issue({ name: "cp", issuer: ca, eku: [SERVER_AUTH] });
      writeFileSync(join(dir, "ca.crt"), ca.pem);
      writeFileSync(join(dir, `cp-${mode}.crt`), cp.pem);
      writeFileSync(join(dir, `cp-${mode}.key`), cp.keyPem);
      const port = await freePort();
      const conf = parseConf({
        prefix: join(dir, `cp-${mode}`),
        admin_listen: `127.0.0.1:${await freePort()}`,
        cluster_listen: `127.0.0.1:${port}`,
        cluster_mtls: "pki",
        cluster_ca_cert: join(dir, "ca.crt"),
        cluster_cert: join(dir, `cp-${mode}.crt`),
        cluster_cert_key: join(dir, `cp-${mode}.key`),
        cluster_ocsp: mode,
        ...extra,
      });
      if (!conf.ok) throw new Error(conf.error.join());
      const logs: string[] = [];
      planes.push(await startControlPlane(conf.value, { log: (m) => logs.push(m) }));
      const dial = async (dp: Issued) => {
        const id = await loadClusterIdentity(`${dp.pem}\n${ca.pem}`, dp.keyPem);
        if (!id.ok) throw new Error(id.error.reason);
        return dialOutlet(`ws://127.0.0.1:${port}`, id.value);
      };
      /** Dials, and returns the status with what the CP logged about that attempt. */
      return async (dp: Issued) => {
        const before = logs.length;
        const status = await dial(dp);
        return { status, logged: logs.slice(before).join("\n") };
      };
    }
    const REVOKED =
      'data plane client certificate was revoked: failed to validate OCSP response: certificate status "revoked" in the OCSP response';
    const FAILED = "data plane client certificate revocation check failed: ";

    it("on: lets in only a DP whose certificate the responder says is good", async () => {
      const dial = await controlPlane("on");
      expect((await dial(good)).status).toBe(101);
      expect(await dial(revoked)).toEqual({ status: 401, logged: expect.stringContaining(REVOKED) });
      expect(await dial(noResponder)).toEqual({
        status: 401,
        logged: expect.stringContaining(`${FAILED}OCSP responder endpoint can not be determined`),
      });
      expect(await dial(down)).toEqual({
        status: 401,
        logged: expect.stringContaining(`${FAILED}failed to send request to OCSP responder`),
      });
    });

    it("optional: refuses a revoked DP, lets in one it could not check", async () => {
      const dial = await controlPlane("optional");
      expect(await dial(good)).toEqual({ status: 101, logged: expect.not.stringContaining("OCSP") });
      expect(await dial(revoked)).toEqual({ status: 401, logged: expect.stringContaining(REVOKED) });
      // let in, with Kong's warning
      expect(await dial(noResponder)).toEqual({ status: 101, logged: expect.stringContaining(FAILED) });
      expect(await dial(down)).toEqual({
        status: 101,
        logged: expect.stringContaining(`${FAILED}failed to send request to OCSP responder`),
      });
    });

    it("off: does not ask", async () => {
      const dial = await controlPlane("off");
      expect((await dial(revoked)).status).toBe(101);
    });

    it("refuses to start with cluster_ocsp outside pki mode, naming the option", async () => {
      const conf = parseConf({ prefix: join(dir, "shared"), cluster_ocsp: "on" });
      if (!conf.ok) throw new Error(conf.error.join());
      await expect(startControlPlane(conf.value, { log: () => {} })).rejects.toThrow(
        'cluster_ocsp setting only works when cluster_mtls is set to "pki"',
      );
    });
  });
});
