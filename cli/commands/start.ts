import { parseArgs } from "node:util";
import { startControlPlane } from "../../control-plane/node/control-plane";
import { KONG_VERSION, LINTEL_VERSION } from "../../shared/version";
import { loadConf } from "../conf";
import { CONF_OPTION, ensureClusterCertificates } from "../node-options";
import { runUntilSignal } from "../run-until-signal";
import { startDpFromConf } from "./dp";

export async function runStart(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONF_OPTION });
  const loaded = loadConf({ file: values.conf, env: process.env, warn: (m) => console.error(`warn: ${m}`) });
  const { conf, generated } = await ensureClusterCertificates(loaded);
  if (conf.cluster_listen[0]?.ssl) {
    throw new Error(
      "cluster_listen: lintel start's local data plane speaks plain WebSocket (workerd cannot present a TLS client certificate); drop ssl, or run lintel cp and lintel dp",
    );
  }
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
  const auth = conf.admin_token ? ` -H "Kong-Admin-Token: $KONG_ADMIN_TOKEN"` : "";
  console.log(`
  Admin API      ${cp.adminUrl} (${cp.adminAccess})
  Proxy          ${dp.url}
  Cluster        ${cp.clusterUrl}/v1/outlet
  Database       ${cp.database}
  Certificates   ${conf.cluster_cert}${generated ? " (generated)" : ""}

Quick start:
  curl -i -X POST ${cp.adminUrl}/services${auth} --data name=example --data url=http://httpbin.org
  curl -i -X POST ${cp.adminUrl}/services/example/routes${auth} --data 'paths[]=/example'
  curl -i ${dp.url}/example/anything

Ctrl-C stops Lintel.`);
  return runUntilSignal([() => cp.close(), () => dp.close()], () => cp.reload());
}
