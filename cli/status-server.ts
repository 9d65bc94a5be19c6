import { createServer } from "node:http";
import type { Listener } from "../shared/conf/listen";
import type { LocalDp } from "./local-dp";

const EMPTY_HASH = "0".repeat(32);

/**
 * Kong's Status API for a local data plane (`status_listen`): `/status/ready` answers 200 once the
 * DP has a config to serve (from the CP, the cache or a bundled `declarative_config`), 503 before,
 * with Kong's messages; `/status` reports the configuration hash.
 */
export async function startStatusServer(
  listen: Listener,
  dp: LocalDp,
  bundled: boolean,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { message: "Method not allowed" });
    if (path !== "/status" && path !== "/status/ready") return send(404, { message: "Not found" });
    dp.nodeStatus()
      .then((node) => {
        if (path === "/status")
          return send(200, { configuration_hash: node.config_hash, server: { connected: node.connected } });
        if (node.config_hash !== EMPTY_HASH || bundled) return send(200, { message: "ready" });
        return send(503, { message: "no configuration available (empty configuration present)" });
      })
      .catch(() =>
        send(503, { message: "no configuration available (configuration hash is not initialized)" }),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host.replace(/^\[|\]$/g, ""), () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${listen.host === "0.0.0.0" ? "127.0.0.1" : listen.host}:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
