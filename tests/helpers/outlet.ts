import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { CLUSTER_AUDIENCE, signHandshake } from "../../shared/cluster/handshake";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { waitFor } from "./wait";

/** A socket to `/v1/outlet` carrying a fresh handshake for a new node id, signed with `identity`. */
async function openOutlet(
  base: string,
  identity: ClusterIdentity,
  options: WebSocket.ClientOptions = {},
): Promise<WebSocket> {
  const nodeId = randomUUID();
  const token = await signHandshake(identity, {
    node_id: nodeId,
    aud: CLUSTER_AUDIENCE,
    now: Date.now(),
    jti: randomUUID(),
  });
  return new WebSocket(`${base}/v1/outlet?node_id=${nodeId}&node_hostname=dp&node_version=3.10.0`, {
    ...options,
    headers: { authorization: `Bearer ${token}` },
  });
}

/**
 * Opens `/v1/outlet` as a DP would (a handshake signed with `identity`) and reports how the CP
 * answered: 101 when the socket opened, else the HTTP status (0 when the connection failed).
 */
export async function dialOutlet(
  base: string,
  identity: ClusterIdentity,
  tls: { cert?: string; key?: string } = {},
): Promise<number> {
  const ws = await openOutlet(
    base,
    identity,
    base.startsWith("wss:") ? { rejectUnauthorized: false, ...tls } : {},
  );
  return new Promise<number>((resolve) => {
    ws.once("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("error", () => resolve(0));
  });
}

/**
 * Connects to `/v1/outlet` as a DP that sends its `basic_info` and keeps every snapshot the CP
 * pushes, waiting until the first has arrived.
 */
export async function connectDp(
  base: string,
  identity: ClusterIdentity,
): Promise<{ ws: WebSocket; frames: Buffer[] }> {
  const ws = await openOutlet(base, identity);
  const frames: Buffer[] = [];
  ws.on("message", (data, binary) => {
    if (binary) frames.push(data as Buffer);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ type: "basic_info", plugins: [] }));
  await waitFor("the first snapshot", () => (frames.length ? true : undefined));
  return { ws, frames };
}
