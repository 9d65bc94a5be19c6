import { createAdminApp } from "../control-plane/admin/app";
import type { DataPlaneDirectory } from "../control-plane/cluster/data-planes";
import { createDaos } from "../control-plane/dao";
import { connect, schemaState } from "./db";
import { type CpConf, cpConf, type Env, identityProblem } from "./env";
import { CLIENT_CERT_HEADER, type ControlPlaneHub, PEER_IP_HEADER } from "./hub-object";

export { ControlPlaneHub } from "./hub-object";

/** Once the database has the schema this build expects, it keeps it: asked once per isolate. */
let schemaReady = false;

/**
 * The managed control plane: Kong's Admin API and the cluster endpoint (`/v1/outlet`) on one
 * Worker, Postgres over WebSocket, DP connections held by the Hub Durable Object.
 */
export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const conf = cpConf(env);
    if (!conf.ok) {
      console.error(`[lintel] invalid configuration: ${conf.error.join("; ")}`);
      return Response.json({ message: `invalid configuration: ${conf.error.join("; ")}` }, { status: 500 });
    }
    const identity = await identityProblem(env, conf.value);
    if (identity) {
      console.error(`[lintel] invalid configuration: ${identity}`);
      return Response.json({ message: `invalid configuration: ${identity}` }, { status: 500 });
    }
    const hub = env.HUB.get(env.HUB.idFromName("hub"));
    if (new URL(request.url).pathname === "/v1/outlet") return outlet(request, hub);
    return admin(request, env, ctx, conf.value, hub);
  },
} satisfies ExportedHandler<Env>;

/**
 * A DP's upgrade request, passed to the Hub with what only the edge knows: the peer's address and
 * the SHA-256 of the TLS client certificate when Cloudflare's mTLS is on for the hostname.
 */
function outlet(request: Request, hub: DurableObjectStub<ControlPlaneHub>): Promise<Response> | Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return Response.json({ message: "Not found" }, { status: 404 });
  }
  const headers = new Headers(request.headers);
  headers.delete(PEER_IP_HEADER);
  headers.delete(CLIENT_CERT_HEADER);
  headers.set(PEER_IP_HEADER, request.headers.get("cf-connecting-ip") ?? "");
  const tls = request.cf?.tlsClientAuth as
    | { certPresented?: string; certFingerprintSHA256?: string }
    | undefined;
  if (tls?.certPresented === "1") headers.set(CLIENT_CERT_HEADER, tls.certFingerprintSHA256 ?? "");
  return hub.fetch(new Request(request.url, { method: "GET", headers }));
}

async function admin(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  conf: CpConf,
  hub: DurableObjectStub<ControlPlaneHub>,
): Promise<Response> {
  const connection = connect(conf.databaseUrl, conf.webSocketProxy, { who: "admin" });
  let wrote = false;
  const daos = createDaos(connection.db, () => {
    wrote = true;
  });
  const dataPlanes: DataPlaneDirectory = {
    upsert: () => Promise.reject(new Error("data planes are recorded by the Hub")),
    page: (size, after, now) => hub.dataPlanes(size, after, now),
  };
  const app = createAdminApp({
    db: connection.db,
    daos,
    dataPlanes,
    nodeId: await nodeId(env),
    hostname: new URL(request.url).hostname,
    configuration: { role: "control_plane", database: "postgres", cluster_mtls: conf.cluster_mtls },
    currentHash: () => hub.currentHash(),
    targetHealth: () => hub.targetHealth(),
    dataPlaneMetrics: () => hub.dataPlaneMetrics(),
    adminToken: conf.admin_token,
    ready: async () => {
      if (schemaReady) return undefined;
      try {
        const state = await schemaState(connection.db);
        schemaReady = state.ready;
        return state.ready ? undefined : state.message;
      } catch (e) {
        console.error(`[lintel] admin: the database cannot be reached: ${e}`);
        return "The database cannot be reached";
      }
    },
  });
  try {
    return await app.fetch(request, env, ctx);
  } finally {
    const closed = connection.close();
    // the Hub exports the new config itself, on its own connection
    ctx.waitUntil(
      wrote
        ? Promise.all([closed, hub.changed()]).catch((e: unknown) =>
            console.error(`[lintel] cluster: publish failed: ${e}`),
          )
        : closed,
    );
  }
}

/** Kong's `node_id` for this control plane: the Hub's id, as a UUID. */
async function nodeId(env: Env): Promise<string> {
  const hex = env.HUB.idFromName("hub").toString();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
