import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";
import { freePort } from "../helpers/ports";

async function conf(dir: string, values: Record<string, string>) {
  const certs = await clusterCertificate(dir);
  const c = parseConf({
    prefix: dir,
    cluster_listen: `127.0.0.1:${await freePort()}`,
    cluster_cert: certs.cert,
    cluster_cert_key: certs.key,
    ...values,
  });
  if (!c.ok) throw new Error(c.error.join());
  return c.value;
}

/** The Admin API is safe to expose: a token when it leaves loopback, HTTPS on `ssl` listens. */
describe("Admin API exposure", () => {
  let dir: string;
  let cp: ControlPlane;
  let httpsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-admin-"));
    httpsPort = await freePort();
    cp = await startControlPlane(
      await conf(dir, {
        admin_listen: `0.0.0.0:${await freePort()}, 127.0.0.1:${httpsPort} ssl`,
        admin_token: "s3cret-token",
      }),
      { log: () => {} },
    );
  });

  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to listen beyond loopback without a token, naming the option", async () => {
    const d = mkdtempSync(join(tmpdir(), "lintel-admin-open-"));
    try {
      const c = await conf(d, { admin_listen: `0.0.0.0:${await freePort()}` });
      await expect(startControlPlane(c, { log: () => {} })).rejects.toThrow(
        /admin_listen 0\.0\.0\.0:\d+ is not a loopback address; set admin_token/,
      );
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("answers 401 without the token or with a wrong one, and serves with the right one", async () => {
    expect(cp.adminAccess).toContain("Kong-Admin-Token");
    const none = await fetch(`${cp.adminUrl}/services`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ message: "Invalid credentials. Token or User credentials required" });
    const wrong = await fetch(`${cp.adminUrl}/services`, { headers: { "Kong-Admin-Token": "s3cret-tokeN" } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${cp.adminUrl}/services`, { headers: { "Kong-Admin-Token": "s3cret-token" } });
    expect(right.status).toBe(200);
    // the API's description and docs page hold no data
    expect((await fetch(`${cp.adminUrl}/docs`)).status).toBe(200);
    expect((await fetch(`${cp.adminUrl}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${cp.adminUrl}/config`)).status).toBe(401);
  });

  it("serves HTTPS on an ssl listen with a certificate it made for localhost", async () => {
    const ca = readFileSync(join(dir, "ssl", "admin-kong-default.crt"));
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: httpsPort,
          path: "/services",
          ca,
          headers: { "Kong-Admin-Token": "s3cret-token" },
        },
        (r) => {
          let body = "";
          r.on("data", (d) => {
            body += d;
          });
          r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: [], next: null });
  });
});
