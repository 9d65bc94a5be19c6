import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { CLUSTER_AUDIENCE, signHandshake } from "../../shared/cluster/handshake";
import type { ClusterIdentity } from "../../shared/cluster/keys";

/**
 * Opens `/v1/outlet` as a DP would (a handshake signed with `identity`) and reports how the CP
 * answered: 101 when the socket opened, else the HTTP status (0 when the connection failed).
 */
export async function dialOutlet(
  base: string,
  identity: ClusterIdentity,
  tls: { cert?: string; key?: string } = {},
): Promise<number> {
  const nodeId = randomUUID();
  const token = await signHandshake(identity, {
    node_id: nodeId,
    aud: CLUSTER_AUDIENCE,
    now: Date.now(),
    jti: randomUUID(),
  });
  const ws = new WebSocket(`${base}/v1/outlet?node_id=${nodeId}&node_hostname=dp&node_version=3.10.0`, {
    headers: { authorization: `Bearer ${token}` },
    ...(base.startsWith("wss:") ? { rejectUnauthorized: false, ...tls } : {}),
  });
  return new Promise<number>((resolve) => {
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("error", () => resolve(0));
  });
}
