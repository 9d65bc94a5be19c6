import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyDeclarative } from "../../control-plane/cluster/declarative";
import { createDaos, type Daos } from "../../control-plane/dao";
import { parseDeclarative } from "../../shared/declarative/parse";
import { clusterCertificate } from "../helpers/certs";
import { limitWorkerdHeap } from "../helpers/heap-limit";
import {
  configHashOf,
  hubOf,
  type ManagedCp,
  managedCpBindings,
  startManagedCp,
} from "../helpers/managed-cp";
import { type Relay, startPgWebSocketRelay } from "../helpers/pg-websocket-relay";
import { freshPostgres } from "../helpers/postgres";
import { DESIGN_LARGE_CASE, syntheticConfig } from "../helpers/synthetic-config";
import { waitFor } from "../helpers/wait";

/** A Durable Object may use 128 MB at the edge: the Hub builds the whole config in one. */
limitWorkerdHeap(128);

const ADMIN_TOKEN = "managed-cp-large";

/**
 * The managed CP's Hub building DESIGN.md's large case (130k entities) from Postgres, in a workerd
 * whose isolates have a V8 heap of at most 128 MiB: one that needs more ends workerd, and the test
 * with it. The hash it publishes is the one the Node CP computes of the same database.
 */
describe("the managed CP's Hub at the large case", () => {
  let dir: string;
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let daos: Daos;
  let relay: Relay;
  let cp: ManagedCp;
  let hub: Awaited<ReturnType<typeof hubOf>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-mcp-large-"));
    pg = await freshPostgres();
    daos = createDaos(pg.db, () => undefined);
    const parsed = parseDeclarative(syntheticConfig(DESIGN_LARGE_CASE).config);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.error.fields));
    const applied = await applyDeclarative(pg.db, daos, parsed.value);
    if (!applied.ok) throw new Error(applied.error.message);
    const certs = await clusterCertificate(dir);
    relay = await startPgWebSocketRelay();
    cp = await startManagedCp({
      dir,
      bindings: managedCpBindings({
        databaseUrl: pg.url,
        relayUrl: relay.url,
        certs,
        adminToken: ADMIN_TOKEN,
      }),
    });
    hub = await hubOf(cp);
  }, 180_000);
  afterAll(async () => {
    await cp?.close();
    await relay?.close();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The Hub's hash once it is a config's and not `previous`. */
  const builtOtherThan = (previous: string | undefined) =>
    waitFor(
      "the Hub's snapshot",
      async () => {
        const hash = await hub.currentHash();
        return hash && hash !== previous && !/^0+$/.test(hash) ? hash : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  const nodeHash = () => configHashOf(pg.db);

  it("builds it, and builds it again after a write, each hash the Node CP's", async () => {
    const first = await builtOtherThan(undefined);
    expect(first).toBe(await nodeHash());
    const written = await fetch(`${cp.url}/consumers/user-7`, {
      method: "PATCH",
      headers: { "content-type": "application/json", "kong-admin-token": ADMIN_TOKEN },
      body: JSON.stringify({ custom_id: "written" }),
    });
    expect(written.status).toBe(200);
    const second = await builtOtherThan(first);
    expect(second).toBe(await nodeHash());
  }, 180_000);
});
