import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "./certs";
import { freePort } from "./ports";
import { freshPostgres } from "./postgres";

export type Hybrid = { dir: string; cp: ControlPlane; dp: LocalDp; close(): Promise<void> };

/**
 * A Node CP on a fresh database of the real Postgres server and one edge DP in workerd connected
 * to it, with certificates made now; the DP's isolates check for a new config every 50 ms.
 */
export async function startHybrid(name: string, dpBindings: Record<string, string> = {}): Promise<Hybrid> {
  const dir = mkdtempSync(join(tmpdir(), `lintel-${name}-`));
  const certs = await clusterCertificate(dir);
  const pg = await freshPostgres();
  const clusterPort = await freePort();
  const conf = parseConf({
    prefix: join(dir, "cp"),
    admin_listen: `127.0.0.1:${await freePort()}`,
    cluster_listen: `127.0.0.1:${clusterPort}`,
    cluster_cert: certs.cert,
    cluster_cert_key: certs.key,
  });
  if (!conf.ok) throw new Error(conf.error.join());
  const cp = await startControlPlane(conf.value, { env: { DATABASE_URL: pg.url }, log: () => {} });
  const dp = await startLocalDp({
    prefix: join(dir, "dp"),
    host: "127.0.0.1",
    port: await freePort(),
    bindings: {
      KONG_CLUSTER_CERT: certs.certPem,
      KONG_CLUSTER_CERT_KEY: certs.keyPem,
      KONG_CLUSTER_CONTROL_PLANE: `ws://127.0.0.1:${clusterPort}`,
      KONG_CONFIG_CHECK_INTERVAL: "0.05",
      ...dpBindings,
    },
  });
  return {
    dir,
    cp,
    dp,
    async close() {
      await dp.close();
      await cp.close();
      await pg.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
