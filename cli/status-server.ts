import { createServer } from "node:http";
import type { ControlPlane } from "../control-plane/node/control-plane";
import type { Listener } from "../shared/conf/listen";
import type { LocalDp } from "./local-dp";

const EMPTY_HASH = "0".repeat(32);

/** What a node's Status API reports: `/status/ready` and `/status`. */
export type StatusProbe = {
  ready(): Promise<{ ready: boolean; message: string }>;
  status(): Promise<Record<string, unknown>>;
};

/**
 * A data plane is ready once it has a config to serve (from the CP, the cache or a bundled
 * `declarative_config`), with Kong's messages; `/status` reports the configuration hash.
 */
export function dataPlaneProbe(dp: LocalDp, bundled: boolean): StatusProbe {
  return {
    async ready() {
      try {
        const node = await dp.nodeStatus();
        if (node.config_hash !== EMPTY_HASH || bundled) return { ready: true, message: "ready" };
        return { ready: false, message: "no configuration available (empty configuration present)" };
      } catch {
        return {
          ready: false,
          message: "no configuration available (configuration hash is not initialized)",
        };
      }
    },
    async status() {
      const node = await dp.nodeStatus();
      return { configuration_hash: node.config_hash, server: { connected: node.connected } };
    },
  };
}

/** A control plane is ready while its database answers, as Kong's is. */
export function controlPlaneProbe(cp: ControlPlane): StatusProbe {
  return {
    async ready() {
      return (await cp.databaseReachable())
        ? { ready: true, message: "ready" }
        : { ready: false, message: "failed to connect to database" };
    },
    async status() {
      return { database: { reachable: await cp.databaseReachable() } };
    },
  };
}

/** Kong's Status API on `status_listen`: `/status/ready` (200 or 503) and `/status`. */
export async function startStatusServer(
  listen: Listener,
  probe: StatusProbe,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { message: "Method not allowed" });
    if (path === "/status") {
      probe.status().then(
        (body) => send(200, body),
        (e) => send(503, { message: String(e) }),
      );
    } else if (path === "/status/ready") {
      void probe.ready().then(({ ready, message }) => send(ready ? 200 : 503, { message }));
    } else {
      send(404, { message: "Not found" });
    }
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
