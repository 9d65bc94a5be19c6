import { createServer } from "node:http";
import { connect } from "node:net";
import { WebSocketServer } from "ws";

export type Relay = {
  /** For `DATABASE_WEBSOCKET_PROXY`. */
  url: string;
  /** Connections relayed so far. */
  connections: number;
  /** Drops every relayed connection (the database "goes away" for the Worker). */
  cut(): void;
  close(): Promise<void>;
};

/**
 * Test tooling, not shipped: what Neon's proxy is to a Worker, for the real Postgres server here.
 * Each WebSocket at `/v1?address=host:port` becomes a TCP connection to that address, bytes passed
 * through both ways unchanged.
 */
export async function startPgWebSocketRelay(): Promise<Relay> {
  const server = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({ server });
  const live = new Set<() => void>();
  const relay: Relay = {
    url: "",
    connections: 0,
    cut: () => {
      for (const end of live) end();
    },
    close: async () => {
      relay.cut();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  wss.on("connection", (ws, req) => {
    const address = new URL(req.url ?? "/", "http://relay").searchParams.get("address") ?? "";
    const at = address.lastIndexOf(":");
    const tcp = connect(Number(address.slice(at + 1)), address.slice(0, at));
    relay.connections++;
    const end = () => {
      tcp.destroy();
      ws.terminate();
    };
    live.add(end);
    tcp.on("data", (d) => ws.send(d));
    tcp.on("close", () => {
      live.delete(end);
      ws.close(1000);
    });
    tcp.on("error", () => ws.terminate());
    ws.on("message", (d) => tcp.write(d as Buffer));
    ws.on("close", () => tcp.end());
    ws.on("error", () => tcp.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  relay.url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  return relay;
}
