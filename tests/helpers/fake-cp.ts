import { createServer } from "node:http";
import { WebSocket, WebSocketServer } from "ws";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { snapshotFrames } from "../../shared/cluster/snapshot-frames";
import { freePort } from "./ports";

export type FakeCp = {
  url: string;
  /** Upgrade requests received: path with query, and the Authorization header. */
  handshakes: Array<{ url: string; authorization: string | undefined }>;
  /** Text frames received from DPs, parsed. */
  messages: Array<Record<string, unknown>>;
  sockets: WebSocket[];
  /** Sent to every DP that greets (basic_info), as a real CP sends its current config. */
  current?: Uint8Array;
  send(bytes: Uint8Array): void;
  close(): Promise<void>;
};

/**
 * A stand-in control plane that accepts any DP and lets the test push whatever frames it likes:
 * the way to see how a real DP (in workerd) treats good, forged, stale and broken snapshots.
 */
export async function startFakeCp(): Promise<FakeCp> {
  const server = createServer();
  const wss = new WebSocketServer({ server, path: "/v1/outlet" });
  const cp: FakeCp = {
    url: "",
    handshakes: [],
    messages: [],
    sockets: [],
    send(bytes) {
      // in frames, as a real CP sends a snapshot
      for (const ws of cp.sockets) {
        if (ws.readyState === WebSocket.OPEN) for (const frame of snapshotFrames(bytes)) ws.send(frame);
      }
    },
    close: () =>
      new Promise((r) => {
        for (const ws of cp.sockets) ws.terminate();
        wss.close();
        server.close(() => r());
      }),
  };
  wss.on("connection", (ws, req) => {
    cp.handshakes.push({ url: req.url ?? "", authorization: req.headers.authorization });
    cp.sockets.push(ws);
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      cp.messages.push(m);
      if (m.type === "basic_info" && cp.current)
        for (const frame of snapshotFrames(cp.current)) ws.send(frame);
      if (m.type === "ping") ws.send(JSON.stringify({ type: "pong" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cp.url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  return cp;
}

/**
 * An edge DP in workerd holding the cluster certificate `certs`, connected to `cp`, whose isolates
 * check for a new config every 50 ms and which keeps no KV cache, unless `bindings` say otherwise.
 */
export async function startDpFor(
  cp: FakeCp,
  certs: { certPem: string; keyPem: string },
  prefix: string,
  bindings: Record<string, string> = {},
): Promise<LocalDp> {
  return startLocalDp({
    prefix,
    host: "127.0.0.1",
    port: await freePort(),
    bindings: {
      KONG_CLUSTER_CERT: certs.certPem,
      KONG_CLUSTER_CERT_KEY: certs.keyPem,
      KONG_CLUSTER_CONTROL_PLANE: cp.url,
      KONG_CONFIG_CHECK_INTERVAL: "0.05",
      KONG_DATA_PLANE_CONFIG_CACHE_MODE: "off",
      ...bindings,
    },
  });
}
