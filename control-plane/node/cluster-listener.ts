import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { WebSocketServer } from "ws";
import { MAX_DP_MESSAGE } from "../../shared/cluster/messages";
import type { Hub } from "../cluster/hub";

/**
 * The cluster listener (`cluster_listen`, 8005): `/v1/outlet` upgraded to a WebSocket once the Hub
 * has verified the DP's handshake. Every refusal is the same 401 on the wire; the log says why.
 */
export function createClusterListener(
  hub: Hub,
  log: (m: string) => void,
  tls?: { cert: string; key: string },
) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_DP_MESSAGE });
  const notFound = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Not found" }));
  };
  // Over TLS, a client certificate is asked for and checked below against the handshake's: the
  // cluster CA or certificate is not an HTTPS trust store, so Node does not judge it.
  const server = tls
    ? createTlsServer({ ...tls, requestCert: true, rejectUnauthorized: false }, notFound)
    : createServer(notFound);
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Node drops its own error listener on upgrade: a peer resetting the connection must not take
    // the process down.
    socket.on("error", (e) => log(`[lintel] cluster: connection error: ${e.message}`));
    const refuse = (status: 400 | 401 | 404, message: string) => {
      const text = { 400: "Bad Request", 401: "Unauthorized", 404: "Not Found" }[status];
      socket.end(
        `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${JSON.stringify({ message })}`,
      );
    };
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://cluster");
    } catch {
      return refuse(400, "Bad request");
    }
    if (url.pathname !== "/v1/outlet") return refuse(404, "Not found");
    const ip = req.socket.remoteAddress ?? "";
    hub
      .authenticate(url, req.headers.authorization ?? null, ip)
      .then((identity) => {
        if (!identity.ok) {
          log(`[lintel] cluster: refused ${ip}: ${identity.error}`);
          return refuse(401, "Unauthorized");
        }
        if (tls) {
          const presented = (req.socket as TLSSocket).getPeerCertificate?.()?.raw;
          const proven = identity.value.certificate;
          if (!presented || !proven || !Buffer.from(proven).equals(presented)) {
            log(
              `[lintel] cluster: refused ${ip}: the TLS client certificate is not the one the handshake proves`,
            );
            return refuse(401, "Unauthorized");
          }
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const conn = hub.attach(identity.value, {
            send: (data) => ws.send(data),
            close: (code, reason) => ws.close(code, reason),
          });
          ws.on("message", (data, isBinary) => {
            if (isBinary) return ws.close(1003, "binary frames are not expected from a data plane");
            try {
              conn.onMessage(data.toString());
            } catch (e) {
              // nothing a DP sends may take the control plane down
              log(`[lintel] cluster: frame from ${ip} failed: ${e instanceof Error ? e.message : e}`);
              ws.close(1011, "internal error");
            }
          });
          ws.on("close", () => conn.onClose());
          ws.on("error", (e) => log(`[lintel] cluster: socket error from ${ip}: ${e.message}`));
        });
      })
      .catch((e) => {
        log(`[lintel] cluster: handshake failed: ${e}`);
        refuse(401, "Unauthorized");
      });
  });
  return { server, wss };
}
