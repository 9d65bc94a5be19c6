import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlPlaneProbe, startStatusServer } from "../../cli/status-server";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";
import { freePort } from "../helpers/ports";
import { freshPostgres } from "../helpers/postgres";

/** The control plane's Status API: ready while its database answers (09-hybrid_mode/11-status_spec.lua). */
describe("control plane /status/ready", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let cp: ControlPlane;
  let status: Awaited<ReturnType<typeof startStatusServer>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-cpstatus-"));
    const certs = await clusterCertificate(dir);
    pg = await freshPostgres();
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${await freePort()}`,
      status_listen: "127.0.0.1:0",
      cluster_cert: certs.cert,
      cluster_cert_key: certs.key,
    });
    if (!conf.ok) throw new Error(conf.error.join());
    cp = await startControlPlane(conf.value, { env: { DATABASE_URL: pg.url }, log: () => {} });
    const listen = conf.value.status_listen[0];
    if (!listen) throw new Error("status_listen did not parse");
    status = await startStatusServer(listen, controlPlaneProbe(cp));
  });
  afterAll(async () => {
    await status?.close();
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 200 while the database answers, and 503 naming the database once it is gone", async () => {
    const ready = await fetch(`${status.url}/status/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ message: "ready" });
    expect(await (await fetch(`${status.url}/status`)).json()).toEqual({ database: { reachable: true } });

    await pg.drop();
    const gone = await fetch(`${status.url}/status/ready`);
    expect(gone.status).toBe(503);
    expect(await gone.json()).toEqual({ message: "failed to connect to database" });
  });
});
