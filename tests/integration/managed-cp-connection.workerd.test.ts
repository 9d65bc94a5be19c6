import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterCertificate } from "../helpers/certs";
import {
  configHashOf,
  hubOf,
  type ManagedCp,
  managedCpBindings,
  startManagedCp,
} from "../helpers/managed-cp";
import { type Relay, startPgWebSocketRelay } from "../helpers/pg-websocket-relay";
import { freshPostgres } from "../helpers/postgres";
import { waitFor } from "../helpers/wait";

const ADMIN_TOKEN = "managed-cp-connection";

/**
 * The managed CP's database connections lost while in use (Neon's proxy restarted, the network
 * cut), here by the relay dropping every connection while a write waits on a lock: the write fails
 * with Kong's 500 and is logged, the next one gets a connection of its own, and the Hub, whose
 * connection went too, publishes again.
 */
describe("the managed CP losing its Postgres connection mid-request", () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  let relay: Relay;
  let cp: ManagedCp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-mcp-conn-"));
    const certs = await clusterCertificate(dir);
    database = await freshPostgres();
    relay = await startPgWebSocketRelay();
    cp = await startManagedCp({
      dir,
      bindings: managedCpBindings({
        databaseUrl: database.url,
        relayUrl: relay.url,
        certs,
        adminToken: ADMIN_TOKEN,
      }),
    });
  });
  afterAll(async () => {
    await cp?.close();
    await relay?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (name: string) =>
    fetch(`${cp.url}/services`, {
      method: "POST",
      headers: { "content-type": "application/json", "kong-admin-token": ADMIN_TOKEN },
      body: JSON.stringify({ name, url: "http://upstream.test" }),
    });

  it("fails the request that held it with Kong's 500, logged, and serves the next on another; the Hub publishes again", async () => {
    expect((await create("before")).status).toBe(201);
    // the write waits on a lock held here, so that its connection is cut while it is in use
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE services IN ACCESS EXCLUSIVE MODE");
      const pending = create("lost");
      await waitFor("the write to wait on the lock", async () => {
        // not on the locker: a transaction sees pg_stat_activity as it was when it first looked
        const { rows } = (await database.db.execute(
          sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )) as unknown as { rows: Array<{ n: number }> };
        return (rows[0]?.n ?? 0) > 0 ? true : undefined;
      });
      relay.cut();
      const lost = await pending;
      expect(lost.status).toBe(500);
      expect(await lost.json()).toEqual({ message: "An unexpected error occurred" });
    } finally {
      await locker.query("ROLLBACK");
      await locker.end();
    }
    expect((await create("after")).status).toBe(201);
    const names = await fetch(`${cp.url}/services`, { headers: { "kong-admin-token": ADMIN_TOKEN } });
    expect(
      ((await names.json()) as { data: Array<{ name: string }> }).data.map((s) => s.name).sort(),
    ).toEqual(["after", "before"]);
    // the Hub lost its connection too (its publish failed, and said so), and publishes again
    const expected = await configHashOf(database.db);
    const hub = await hubOf(cp);
    await waitFor("the Hub to publish the config", async () =>
      (await hub.currentHash()) === expected ? true : undefined,
    );
    expect(cp.logs.some((l) => l.includes("POST /services") && l.includes("rollback"))).toBe(true);
    expect(cp.logs.filter((l) => /uncaught/i.test(l))).toEqual([]);
  });
});
