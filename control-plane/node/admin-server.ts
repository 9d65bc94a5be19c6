import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import type { Listener } from "../../shared/conf/listen";
import type { Conf } from "../../shared/conf/options";
import { createSelfSignedCertificate } from "./gen-cert";
import { readPemOption } from "./pem-option";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[0000:0000:0000:0000:0000:0000:0000:0001\]|localhost)$/;

export const isLoopback = (l: Listener) => LOOPBACK.test(l.host);

/**
 * Without `admin_token`, the Admin API may only listen on loopback addresses: anyone who reaches it
 * owns the gateway.
 */
export function checkAdminExposure(conf: Conf): string {
  const exposed = conf.admin_listen.filter((l) => !isLoopback(l));
  if (exposed.length && !conf.admin_token) {
    const where = exposed.map((l) => `${l.host}:${l.port}`).join(", ");
    throw new Error(
      `admin_listen ${where} is not a loopback address; set admin_token (KONG_ADMIN_TOKEN) to expose the Admin API beyond this machine`,
    );
  }
  return conf.admin_token
    ? "every request needs the Kong-Admin-Token header"
    : "loopback only (no admin_token set)";
}

/** The certificate for `admin_listen ... ssl`: `admin_ssl_cert`, or one made once in the prefix, as Kong does. */
async function adminCertificate(conf: Conf): Promise<{ cert: string; key: string }> {
  if (conf.admin_ssl_cert && conf.admin_ssl_cert_key) {
    return {
      cert: readPemOption("admin_ssl_cert", conf.admin_ssl_cert, "certificate"),
      key: readPemOption("admin_ssl_cert_key", conf.admin_ssl_cert_key, "key"),
    };
  }
  if (conf.admin_ssl_cert || conf.admin_ssl_cert_key) {
    throw new Error("admin_ssl_cert and admin_ssl_cert_key must be given together");
  }
  const dir = join(conf.prefix, "ssl");
  const certPath = join(dir, "admin-kong-default.crt");
  const keyPath = join(dir, "admin-kong-default.key");
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    const pair = await createSelfSignedCertificate({
      name: "CN=localhost",
      days: 3650,
      sans: ["localhost", "127.0.0.1"],
    });
    writeFileSync(certPath, pair.certPem);
    writeFileSync(keyPath, pair.keyPem, { mode: 0o600 });
  }
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

/** Serves the Admin API on every `admin_listen` entry; `ssl` entries over HTTPS. */
export async function serveAdmin(
  conf: Conf,
  fetch: (request: Request) => Response | Promise<Response>,
): Promise<Array<{ server: ServerType; url: string }>> {
  const out: Array<{ server: ServerType; url: string }> = [];
  for (const l of conf.admin_listen) {
    const hostname = l.host.replace(/^\[|\]$/g, "");
    const tls = l.ssl ? await adminCertificate(conf) : undefined;
    const server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve(
        tls
          ? { fetch, hostname, port: l.port, createServer: createHttpsServer, serverOptions: tls }
          : { fetch, hostname, port: l.port },
      );
      s.once("error", reject);
      s.once("listening", () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    const host = l.host === "0.0.0.0" ? "127.0.0.1" : l.host;
    out.push({ server, url: `${tls ? "https" : "http"}://${host}:${port}` });
  }
  return out;
}
