import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Publisher, type Snapshot } from "../../control-plane/cluster/publisher";
import { createDaos, type Daos } from "../../control-plane/dao";
import { openSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { freshPglite } from "../helpers/postgres";

/** The publisher on its own: what it publishes after writes, and what it refuses to publish. */
describe("Publisher", () => {
  let db: Awaited<ReturnType<typeof freshPglite>>;
  let daos: Daos;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  beforeAll(async () => {
    db = await freshPglite();
    daos = createDaos(db.db, () => {});
    certs = await clusterCertificate(mkdtempSync(join(tmpdir(), "lintel-pub-")));
  });
  afterAll(async () => {
    await db?.drop();
  });

  const publisher = (maxPayload: number, logs: string[], published: Snapshot[]) =>
    new Publisher({
      db: db.db,
      daos,
      identity: certs.identity,
      kid: "kid",
      cpId: "cp",
      pollInterval: 0,
      maxPayload,
      onSnapshot: (s) => published.push(s),
      log: (m) => logs.push(m),
    });

  it("publishes every write, with the plugins the config uses at this CP's versions", async () => {
    const logs: string[] = [];
    const published: Snapshot[] = [];
    const p = publisher(16 << 20, logs, published);
    await p.start();
    expect((await daos.services.insert({ name: "a", host: "a.test" })).ok).toBe(true);
    await p.schedule();
    expect((await daos.plugins.insert({ name: "cors" })).ok).toBe(true);
    await p.schedule();
    const last = published.at(-1) as Snapshot;
    expect(last.plugins.map((x) => x.name)).toEqual(["cors"]);
    const opened = await openSnapshot(last.bytes, {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 16 << 20,
    });
    expect(opened.ok && opened.value.envelope.config.services?.map((s) => s.name)).toEqual(["a"]);
    expect(published.map((s) => s.manifest.version)).toEqual(
      [...published.map((s) => s.manifest.version)].sort((a, b) => a - b),
    );
    expect(logs).toEqual([]);
  });

  it("does not publish a snapshot over cluster_max_payload, says so naming the option, and keeps the last", async () => {
    const logs: string[] = [];
    const published: Snapshot[] = [];
    const p = publisher(16 << 20, logs, published);
    await p.start();
    const before = p.snapshot;
    // a smaller bound for the next build: as a CP restarted with a lower cluster_max_payload would
    const tight = publisher((before?.bytes.length ?? 0) + 100, logs, published);
    await tight.start();
    expect(tight.snapshot?.manifest.version).toBe(before?.manifest.version);
    const tags = Array.from({ length: 20 }, (_, i) => `${"t".repeat(200)}-${crypto.randomUUID()}-${i}`);
    expect((await daos.services.insert({ name: "big", host: "big.test", tags })).ok).toBe(true);
    await tight.schedule();
    expect(logs.some((l) => /over cluster_max_payload \(\d+\); not published/.test(l))).toBe(true);
    expect(tight.snapshot?.manifest.version).toBe(before?.manifest.version);
  });
});
