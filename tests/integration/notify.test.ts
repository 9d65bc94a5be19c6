import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { openSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { connectDp } from "../helpers/outlet";
import { freePort } from "../helpers/ports";
import { freshPostgres, TEST_PG_URL } from "../helpers/postgres";
import { waitFor } from "../helpers/wait";

/**
 * Several CP nodes on one database all push the same config: a write on one node reaches the DPs of
 * another through Postgres LISTEN/NOTIFY, well before the polling fallback (60 s here) would.
 */
describe("two control plane nodes, LISTEN/NOTIFY", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  const nodes: ControlPlane[] = [];
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let clusterPortB: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-notify-"));
    certs = await clusterCertificate(dir);
    pg = await freshPostgres();
    for (const name of ["a", "b"]) {
      const clusterPort = await freePort();
      if (name === "b") clusterPortB = clusterPort;
      const conf = parseConf({
        prefix: join(dir, name),
        admin_listen: `127.0.0.1:${await freePort()}`,
        cluster_listen: `127.0.0.1:${clusterPort}`,
        cluster_cert: certs.cert,
        cluster_cert_key: certs.key,
        db_update_frequency: "60",
      });
      if (!conf.ok) throw new Error(conf.error.join());
      nodes.push(await startControlPlane(conf.value, { env: { DATABASE_URL: pg.url }, log: () => {} }));
    }
  });

  afterAll(async () => {
    for (const n of nodes) await n.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Creates a service on node A and returns the service names of the next snapshot B pushes. */
  async function writeOnAPushedByB(frames: Buffer[], name: string) {
    const seen = frames.length;
    const res = await fetch(`${nodes[0]?.adminUrl}/services`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, host: `${name}.test` }),
    });
    expect(res.status).toBe(201);
    const pushed = await waitFor(
      "node B to push the write",
      () => (frames.length > seen ? frames.at(-1) : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    const opened = await openSnapshot(new Uint8Array(pushed), {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 1 << 24,
    });
    return opened.ok ? opened.value.envelope.config.services?.map((s) => s.name) : opened.error;
  }

  it("pushes a write made on node A to a DP connected to node B (09-hybrid_mode/04-cp_cluster_sync_spec.lua)", async () => {
    const { ws, frames } = await connectDp(`ws://127.0.0.1:${clusterPortB}`, certs.identity);

    expect(await writeOnAPushedByB(frames, "from-a")).toEqual(["from-a"]);
    ws.terminate();
  });

  it("listens again after the database drops the LISTEN connection, and pushes the next write", async () => {
    const { ws, frames } = await connectDp(`ws://127.0.0.1:${clusterPortB}`, certs.identity);
    const admin = new Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const database = new URL(pg.url).pathname.slice(1);
      const listeners = async () =>
        (
          await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
            [database],
          )
        ).rows.map((r) => r.pid);
      const killed = await listeners();
      expect(killed).toHaveLength(2);
      await admin.query("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", [killed]);
      await waitFor("both nodes to LISTEN again", async () => {
        const now = await listeners();
        return now.length === 2 && now.every((p) => !killed.includes(p)) ? true : undefined;
      });

      // well before the 60 s polling fallback: only a working LISTEN gets it here in time
      expect(await writeOnAPushedByB(frames, "after-reconnect")).toContain("after-reconnect");
    } finally {
      await admin.end();
      ws.terminate();
    }
  });
});
