import { parseArgs } from "node:util";
import { startControlPlane } from "../../control-plane/node/control-plane";
import { LINTEL_VERSION } from "../../shared/version";
import { loadConf } from "../conf";
import { CONF_OPTION } from "../node-options";
import { runUntilSignal } from "../run-until-signal";
import { controlPlaneProbe, startStatusServer } from "../status-server";

export async function runCp(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: CONF_OPTION });
  const conf = loadConf({
    file: values.conf,
    env: process.env,
    overrides: { role: "control_plane" },
    warn: (m) => console.error(`warn: ${m}`),
  });
  const cp = await startControlPlane(conf);
  const statusListen = conf.status_listen[0];
  const status = statusListen ? await startStatusServer(statusListen, controlPlaneProbe(cp)) : undefined;
  console.log(`Lintel ${LINTEL_VERSION} control plane ${cp.nodeId}
  Admin API   ${cp.adminUrl} (${cp.adminAccess})
  Cluster     ${cp.clusterUrl}/v1/outlet
  Database    ${cp.database}${status ? `\n  Status API  ${status.url}/status/ready` : ""}`);
  return runUntilSignal([...(status ? [() => status.close()] : []), () => cp.close()], () => cp.reload());
}
