import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";
import { dialOutlet } from "../helpers/outlet";
import { freePort } from "../helpers/ports";

/**
 * The Node CP's cluster listener over TLS (`cluster_listen ... ssl`): the TLS client certificate
 * must be the very certificate the DP's handshake proves it holds.
 */
describe("cluster listener over TLS", () => {
  let dir: string;
  let cp: ControlPlane;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let other: Awaited<ReturnType<typeof clusterCertificate>>;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-tls-"));
    certs = await clusterCertificate(dir);
    other = await clusterCertificate(dir, "other");
    port = await freePort();
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${port} ssl`,
      cluster_cert: certs.cert,
      cluster_cert_key: certs.key,
    });
    if (!conf.ok) throw new Error(conf.error.join());
    cp = await startControlPlane(conf.value, { log: () => {} });
  });
  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dial = (client?: { certPem: string; keyPem: string }) =>
    dialOutlet(
      `wss://127.0.0.1:${port}`,
      certs.identity,
      client ? { cert: client.certPem, key: client.keyPem } : {},
    );

  it("serves the cluster over TLS with the cluster certificate", () => {
    expect(cp.clusterUrl).toMatch(/^wss:\/\//);
  });

  it("lets in a DP whose TLS client certificate is the one its handshake proves", async () => {
    expect(await dial(certs)).toBe(101);
  });

  it("refuses a TLS client certificate other than the handshake's, and none at all", async () => {
    expect(await dial(other)).toBe(401);
    expect(await dial()).toBe(401);
  });
});
