import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";
import { freePort } from "../helpers/ports";
import { freshPostgres } from "../helpers/postgres";
import { clusterOutletSuite } from "./cluster-outlet.suite";

let clusterPort: number;
let adminUrl: string;

describe("cluster listener (/v1/outlet) of a Node CP", () => {
  clusterOutletSuite(async () => {
    const dir = mkdtempSync(join(tmpdir(), "lintel-cl-"));
    const certs = await clusterCertificate(dir);
    const stranger = (await clusterCertificate(dir, "stranger")).identity;
    const pg = await freshPostgres();
    clusterPort = await freePort();
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${clusterPort}`,
      cluster_cert: certs.cert,
      cluster_cert_key: certs.key,
      db_update_frequency: "0.2",
    });
    if (!conf.ok) throw new Error(conf.error.join());
    const cp = await startControlPlane(conf.value, { env: { DATABASE_URL: pg.url }, log: () => {} });
    adminUrl = cp.adminUrl;
    return {
      clusterBase: `ws://127.0.0.1:${clusterPort}`,
      admin: (path, init) => fetch(`${adminUrl}${path}`, init),
      cluster: certs.identity,
      stranger,
      close: async () => {
        await cp.close();
        await pg.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });

  it("survives an unparsable upgrade URL and a peer that resets mid-handshake", async () => {
    const { connect: tcp } = await import("node:net");
    const raw = (request: string, reset: boolean) =>
      new Promise<string>((resolve) => {
        const s = tcp(clusterPort, "127.0.0.1", () => {
          s.write(request);
          if (reset) s.resetAndDestroy();
        });
        let got = "";
        s.on("data", (d) => {
          got += d;
        });
        s.on("close", () => resolve(got));
        s.on("error", () => resolve(got));
      });
    const upgrade = (target: string, auth: string) =>
      `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${auth}\r\n\r\n`;
    expect(await raw(upgrade("http://x:99999/v1/outlet", "x"), false)).toMatch(/^HTTP\/1\.1 400/);
    await raw(upgrade(`/v1/outlet?node_id=${randomUUID()}&node_version=3.10.0`, "a.b.c"), true);
    const alive = await fetch(`${adminUrl}/services`);
    expect(alive.status).toBe(200);
  });
});
