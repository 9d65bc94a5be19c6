import { parseArgs } from "node:util";
import { startControlPlane } from "../../control-plane/node/control-plane";
import { KONG_VERSION, LINTEL_VERSION } from "../../shared/version";
import { loadConf } from "../conf";
import { CONF_OPTION, ensureClusterCertificates } from "../node-options";
import { runUntilSignal } from "../run-until-signal";
import { startDpFromConf } from "./dp";

export const HELP = `Usage: lintel start [OPTIONS]

Runs a control plane and a local data plane together (what \`npm start\` runs):
  Admin API on admin_listen (127.0.0.1:8001), cluster listener on cluster_listen (8005),
  proxy on proxy_listen (8000).
Without cluster_cert/cluster_cert_key, a pair is generated in the prefix folder (default
.lintel) on first start. Without KONG_PG_HOST or DATABASE_URL, the embedded database is kept
there too, so a restart keeps the configuration. Ctrl-C stops both.

Options:
  -c, --conf FILE       A kong.conf-style file of options`;

export async function runStart(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONF_OPTION });
  const loaded = loadConf({ file: values.conf, env: process.env, warn: (m) => console.error(`warn: ${m}`) });
  const { conf, generated } = await ensureClusterCertificates(loaded);
  console.log(`Lintel ${LINTEL_VERSION} (Kong ${KONG_VERSION} Admin API) starting...`);
  const cp = await startControlPlane({ ...conf, role: "control_plane" });
  const clusterPort = new URL(cp.clusterUrl).port;
  let dp: Awaited<ReturnType<typeof startDpFromConf>>;
  try {
    dp = await startDpFromConf({
      ...conf,
      role: "data_plane",
      cluster_control_plane: `ws://127.0.0.1:${clusterPort}`,
    });
  } catch (e) {
    await cp.close();
    throw e;
  }
  console.log(`
  Admin API      ${cp.adminUrl}
  Proxy          ${dp.url}
  Cluster        ${cp.clusterUrl}/v1/outlet
  Database       ${cp.database}
  Certificates   ${conf.cluster_cert}${generated ? " (generated)" : ""}

Quick start:
  curl -i -X POST ${cp.adminUrl}/services --data name=example --data url=http://httpbin.org
  curl -i -X POST ${cp.adminUrl}/services/example/routes --data 'paths[]=/example'
  curl -i ${dp.url}/example/anything

Ctrl-C stops Lintel.`);
  return runUntilSignal([() => cp.close(), () => dp.close()]);
}
