import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPATIBILITY_DATE, type LocalDp } from "../../cli/local-dp";
import { clusterCertificate } from "../helpers/certs";
import { keyAuthPlugin, route, service, snapshotOf } from "../helpers/config-builder";
import { type FakeCp, startDpFor, startFakeCp } from "../helpers/fake-cp";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * Runs SQL in the DP node's own storage, as it persists on disk between runs: a Durable Object of
 * the node's class name and id, in a workerd of its own over the same files, with the DP stopped.
 */
async function inNodeStorage(prefix: string, nodeName: string, statements: string[]): Promise<unknown[][]> {
  const mf = new Miniflare({
    modules: true,
    compatibilityDate: COMPATIBILITY_DATE,
    script: `
      export class DataPlaneNode {
        constructor(ctx) { this.sql = ctx.storage.sql; }
        async fetch(request) {
          const out = [];
          for (const statement of await request.json()) out.push(this.sql.exec(statement).toArray());
          return Response.json(out);
        }
      }
      export class RateLimitCounter { constructor() {} }
      export default { fetch: () => new Response(null, { status: 404 }) };
    `,
    durableObjects: {
      DP_NODE: { className: "DataPlaneNode", useSQLite: true },
      RATE_LIMITS: { className: "RateLimitCounter", useSQLite: true },
    },
    durableObjectsPersist: join(prefix, "dp", "state"),
  });
  try {
    const ns = await mf.getDurableObjectNamespace("DP_NODE");
    const res = await ns.get(ns.idFromName(nodeName)).fetch("http://node/sql", {
      method: "POST",
      body: JSON.stringify(statements),
    });
    return (await res.json()) as unknown[][];
  } finally {
    await mf.dispose();
  }
}

/**
 * A DP node whose storage holds consumers and credentials in the layout of earlier Lintel
 * versions (one table of rows for every generation): started by this version, it serves its
 * stored config from the start, indexed again in its own layout.
 */
describe("a DP node's stored consumers, after an upgrade of the node", () => {
  let dir: string;
  let cp: FakeCp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dp: LocalDp | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-cold-upgrade-"));
    cp = await startFakeCp();
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await dp?.close();
    await cp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (key: string) => {
    const r = await fetch(`${dp?.url}/locked/x`, { headers: { apikey: key } });
    await r.arrayBuffer();
    return r.status;
  };

  it("drops the old layout and indexes the stored config again", async () => {
    const certs = await clusterCertificate(dir);
    const svc = service({ name: "echo", url: upstream.url });
    const r = route({ paths: ["/locked"] }, svc.id);
    const people = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), username: `user-${i}` }));
    const keys = people.map((c, i) => ({ id: randomUUID(), key: `key-${i}`, consumer: c.id }));
    const snapshot = await snapshotOf(certs.identity, 1, [svc], [r], {
      more: { plugins: [keyAuthPlugin(r.id)], consumers: people, keyauth_credentials: keys },
    });
    const options = { KONG_DATA_PLANE_CONSUMERS_IN_MEMORY: "1" };
    dp = await startDpFor(cp, certs, dir, options);
    await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
    cp.send(snapshot.bytes);
    await waitFor("the stored consumers", async () =>
      (await dp?.nodeStatus())?.consumers_stored ? true : undefined,
    );
    expect(await get("key-4")).toBe(200);
    const nodeName = dp.nodeName;
    await dp.close();
    dp = undefined;

    // the rows as an earlier version kept them: one table, a generation column, its own index
    const [meta] = await inNodeStorage(dir, nodeName, ["SELECT gen FROM cold_meta"]);
    const gen = (meta as Array<{ gen: number }>)[0]?.gen;
    expect(gen).toBeGreaterThan(0);
    await inNodeStorage(dir, nodeName, [
      "CREATE TABLE cold_rows (gen INTEGER NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL)",
      "CREATE INDEX cold_rows_key ON cold_rows (gen, k)",
      `INSERT INTO cold_rows (gen, k, v) SELECT ${gen}, k, v FROM cold_rows_${gen}`,
      `DROP TABLE cold_rows_${gen}`,
    ]);

    // started again, its control plane gone: the stored config, with its consumers
    await cp.close();
    dp = await startDpFor(cp, certs, dir, options);
    await waitFor("the stored config", async () => ((await get("key-4")) === 200 ? true : undefined));
    expect(await get("key-0")).toBe(200);
    expect(await get("no-such-key")).toBe(401);
    expect((await dp.nodeStatus()).consumers_stored).toBe(true);
    await dp.close();
    dp = undefined;
    const [tables] = await inNodeStorage(dir, nodeName, [
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cold%' ORDER BY name",
    ]);
    // the old table gone, the rows in a table of their own
    expect((tables as Array<{ name: string }>).map((t) => t.name)).toEqual([
      "cold_meta",
      expect.stringMatching(/^cold_rows_\d+$/),
    ]);
  }, 120_000);
});
