import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigExporter } from "../../control-plane/cluster/exporter";
import { APART_TYPES, Publisher, type Snapshot } from "../../control-plane/cluster/publisher";
import { createDaos, type Daos, ENTITY_NAMES } from "../../control-plane/dao";
import type { Entity } from "../../control-plane/dao/entity-dao";
import type { Database } from "../../control-plane/db/client";
import { RestThread } from "../../control-plane/node/rest-thread";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { isHashedApart } from "../../shared/hash/config-hash";
import { openSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { freshPostgres } from "../helpers/postgres";

const REST_TYPES = ENTITY_NAMES.filter((name) => !isHashedApart(name));

/**
 * The Node CP's two threads: the types Kong hashes apart exported on its own connection, the rest
 * on the rest thread's, both at the one snapshot the first shares.
 */
describe("the rest of a config on a thread of its own (Postgres)", () => {
  let database: Database & { drop(): Promise<void> };
  let daos: Daos;
  let identity: ClusterIdentity;

  beforeAll(async () => {
    database = await freshPostgres();
    daos = createDaos(database.db, () => {});
    identity = (await clusterCertificate(mkdtempSync(join(tmpdir(), "lintel-rest-")))).identity;
    for (const [i, name] of ["early", "second"].entries()) {
      const consumer = await daos.consumers.insert({ username: name });
      if (!consumer.ok) throw new Error(consumer.error.message);
      const svc = await daos.services.insert({ name: `svc-${i}`, host: `svc-${i}.test` });
      if (!svc.ok) throw new Error(svc.error.message);
    }
  });
  afterAll(() => database?.drop());

  /** A publisher on this database, with the rest built by `rest` when that is ready. */
  const publisherOn = (rest: RestThread | undefined, into: Snapshot[], log: (m: string) => void = () => {}) =>
    new Publisher({
      db: database.db,
      read: database.read,
      daos,
      identity,
      kid: "kid",
      cpId: "cp",
      pollInterval: 0,
      maxPayload: 1 << 30,
      onSnapshot: (s) => into.push(s),
      log,
      now: () => 1,
      rest,
    });

  /** Counts the builds asked of `thread`. */
  const counted = (thread: RestThread) => {
    const asked = { builds: 0 };
    const start = thread.start.bind(thread);
    thread.start = (snapshot) => {
      asked.builds++;
      return start(snapshot);
    };
    return asked;
  };

  const usernames = (exp: Awaited<ReturnType<ConfigExporter["export"]>>) =>
    exp.types.find((t) => t.name === "consumers")?.entities.map((e) => e.entity.username);

  it("reads at the snapshot the other export shares: a write committed between them is in neither", async () => {
    const apart = new ConfigExporter(database.db, daos, database.read);
    const restExporter = new ConfigExporter(database.db, daos, database.read);
    let taken = 0;
    let rest: Awaited<ReturnType<ConfigExporter["export"]>> | undefined;
    const exp = await apart.export({
      types: APART_TYPES,
      share: async (snapshot) => {
        // committed after the snapshot was taken, before either export read its tables
        const late = await daos.consumers.insert({ username: "late" });
        expect(late.ok).toBe(true);
        const svc = await daos.services.insert({ name: "svc-late", host: "late.test" });
        expect(svc.ok).toBe(true);
        rest = await restExporter.export({ types: REST_TYPES, at: { snapshot, taken: () => taken++ } });
      },
    });
    expect(taken).toBe(1);
    expect(exp.types.map((t) => t.name)).toEqual(["services"]);
    expect(exp.types[0]?.entities.map((e) => e.entity.name)).toEqual(
      expect.not.arrayContaining(["svc-late"]),
    );
    expect(exp.types[0]?.entities).toHaveLength(2);
    expect(rest?.types.map((t) => t.name)).toEqual(["consumers"]);
    expect(usernames(rest as NonNullable<typeof rest>)?.sort()).toEqual(["early", "second"]);
    // a read of its own, after: the write is there
    const after = await restExporter.export({ types: REST_TYPES });
    expect(usernames(after)?.sort()).toEqual(["early", "late", "second"]);
  });

  it("refuses what is not a snapshot id before it reaches SQL", async () => {
    const exporter = new ConfigExporter(database.db, daos, database.read);
    await expect(
      exporter.export({ at: { snapshot: "1'; DROP TABLE consumers; --", taken: () => {} } }),
    ).rejects.toThrow(/not a snapshot id/);
  });

  it("fails a build whose snapshot is gone, and builds the next", async () => {
    const thread = new RestThread(database.postgres ?? { connectionString: "" });
    try {
      await thread.prepare();
      // a snapshot id of the right form, exported by no open transaction
      const gone = thread.start("00000003-0000001B-1");
      await expect(gone.taken).rejects.toThrow(/rest of the config: .*snapshot/i);
      await expect(gone.part).rejects.toThrow(/rest of the config/);
      const exporter = new ConfigExporter(database.db, daos, database.read);
      let part: ReturnType<RestThread["start"]>["part"] | undefined;
      await exporter.export({
        types: APART_TYPES,
        share: (snapshot) => {
          const started = thread.start(snapshot);
          part = started.part;
          return started.taken;
        },
      });
      const built = await part;
      expect(built?.cold.entities).toBe(3);
      expect(built?.hash).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await thread.close();
    }
    await expect(thread.start("00000003-0000001B-1").part).rejects.toThrow(/closed/);
  });

  it("stops a thread that takes too long over a build, and starts another at the next", async () => {
    // every build is too long for a thread given a millisecond
    const thread = new RestThread(database.postgres ?? { connectionString: "" }, { buildWithinMs: 1 });
    const exporter = new ConfigExporter(database.db, daos, database.read);
    const shareWith = async () => {
      let part: ReturnType<RestThread["start"]>["part"] | undefined;
      const exp = exporter.export({
        types: APART_TYPES,
        share: (snapshot) => {
          const started = thread.start(snapshot);
          part = started.part;
          return started.taken;
        },
      });
      // the export fails too when the thread is stopped before it took the snapshot
      await Promise.allSettled([exp]);
      return { part: await Promise.allSettled([part]) };
    };
    try {
      await thread.prepare();
      const first = await shareWith();
      expect(first.part[0]).toMatchObject({
        status: "rejected",
        reason: expect.objectContaining({ message: expect.stringMatching(/did not build within 1 ms/) }),
      });
      expect(thread.ready).toBe(false);
      // another thread, loaded afresh
      await thread.prepare();
      expect(thread.ready).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it("publishes the same snapshots with the thread as without, and switches to it once it is ready", async () => {
    const thread = new RestThread(database.postgres ?? { connectionString: "" });
    const published: { with: Snapshot[]; without: Snapshot[] } = { with: [], without: [] };
    const asked = counted(thread);
    const withThread = publisherOn(thread, published.with);
    const without = publisherOn(undefined, published.without);
    try {
      await withThread.start();
      await without.start();
      // the first build is made on this thread; the rest thread starts after it
      expect(thread.ready).toBe(false);
      // the publisher started it after its first build: the same thread, ready once warmed up
      await thread.prepare();
      const [consumer] = await daos.consumers.all();
      const updated = await daos.consumers.update(consumer as Entity, { custom_id: "through-the-thread" });
      expect(updated.ok).toBe(true);
      await withThread.schedule();
      await without.schedule();
      expect(asked.builds).toBe(1);
      expect(published.with).toHaveLength(2);
      for (let i = 0; i < 2; i++) {
        const a = published.with[i] as Snapshot;
        const b = published.without[i] as Snapshot;
        expect(a.manifest).toEqual(b.manifest);
        expect(a.plugins).toEqual(b.plugins);
      }
      const opened = await openSnapshot((published.with[1] as Snapshot).bytes, {
        signers: [identity.chain[0] as Uint8Array],
        maxPayload: 1 << 30,
      });
      if (!opened.ok) throw new Error(JSON.stringify(opened.error));
      const consumers = opened.value.envelope.config.consumers ?? [];
      expect(consumers.some((c) => c.custom_id === "through-the-thread")).toBe(true);
    } finally {
      withThread.stop();
      without.stop();
      await thread.close();
    }
  });

  it("builds on the publisher's thread when the rest thread fails, and leaves the thread alone for a while", async () => {
    // a thread whose connection fails every build: a database that is not there
    const url = new URL((database.postgres as { connectionString: string }).connectionString);
    url.pathname = "/lintel_no_such_database";
    const thread = new RestThread({ connectionString: url.toString() });
    const logged: string[] = [];
    const published: Snapshot[] = [];
    const publisher = publisherOn(thread, published, (m) => logged.push(m));
    const asked = counted(thread);
    try {
      await publisher.start();
      // its warm-up failed too, and it says it is ready: the failure is for a build to meet
      await thread.prepare();
      const [consumer] = await daos.consumers.all();
      for (const customId of ["after-the-failure", "while-left-alone"]) {
        const updated = await daos.consumers.update(consumer as Entity, { custom_id: customId });
        expect(updated.ok).toBe(true);
        await publisher.schedule();
        const last = published.at(-1) as Snapshot;
        const opened = await openSnapshot(last.bytes, {
          signers: [identity.chain[0] as Uint8Array],
          maxPayload: 1 << 30,
        });
        if (!opened.ok) throw new Error(JSON.stringify(opened.error));
        expect(opened.value.envelope.config.consumers?.some((c) => c.custom_id === customId)).toBe(true);
      }
      expect(published).toHaveLength(3);
      // asked once: the second write's build did not try the thread again
      expect(asked.builds).toBe(1);
      expect(logged.join("\n")).toMatch(/rest thread failed a build .*lintel_no_such_database/);
    } finally {
      publisher.stop();
      await thread.close();
    }
  });
});
