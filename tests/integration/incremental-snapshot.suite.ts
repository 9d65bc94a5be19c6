import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { applyDeclarative } from "../../control-plane/cluster/declarative";
import { exportConfig } from "../../control-plane/cluster/export";
import { ConfigExporter } from "../../control-plane/cluster/exporter";
import { nativeFlushDeflate, nativeMd5 } from "../../control-plane/cluster/native-codecs";
import { APART_TYPES } from "../../control-plane/cluster/publisher";
import { type RestPart, SnapshotBuilder } from "../../control-plane/cluster/snapshot-builder";
import { createDaos, type Daos } from "../../control-plane/dao";
import { type Database, openPostgres } from "../../control-plane/db/client";
import { DeflateThreads } from "../../control-plane/node/deflate-threads";
import { RestThread } from "../../control-plane/node/rest-thread";
import type { ClusterIdentity } from "../../shared/cluster/keys";
import { parseDeclarative } from "../../shared/declarative/parse";
import { calculateConfigHash } from "../../shared/hash/config-hash";
import { hotEnd, openSnapshot } from "../../shared/snapshot/codec";
import { coldBytes, splitCold } from "../../shared/snapshot/cold";
import { testCertificate } from "../helpers/ca";
import { clusterCertificate } from "../helpers/certs";
import { adminHarness } from "./admin-harness";

type Open = () => Promise<Database & { drop(): Promise<void> }>;

/**
 * The control plane's incremental export and build against what a full export and `sealSnapshot`
 * make: after every kind of write, the snapshot must hold the same config, byte for byte in its hot
 * JSON, with the same hash, while reading and recompressing only what changed.
 */
export function incrementalSnapshotSuite(
  label: string,
  open: Open,
  opts: {
    freeze: boolean;
    /** How segments are compressed: the Node CP's threads, or zlib on this thread (the managed CP's). */
    deflate: "threads" | "inline";
    /** Whether hash bytes are kept between builds (the Node CP's way), or made each build (the Hub's). */
    keepHashBytes: boolean;
    /**
     * Whether the rest of the config (consumers, credentials, certificates) is built on the Node
     * CP's rest thread once it is ready (after the first build), as its publisher does on Postgres.
     */
    restThread?: boolean;
  },
) {
  describe(`incremental snapshots (${label})`, () => {
    let database: Database & { drop(): Promise<void> };
    let daos: Daos;
    let identity: ClusterIdentity;
    let api: ReturnType<typeof adminHarness>;
    // as the control plane reads: rows streamed on Postgres, read whole on PGlite
    const exporter = () => new ConfigExporter(database.db, daos, database.read);
    let incremental: ConfigExporter;
    let rest: RestThread | undefined;
    const threads = opts.deflate === "threads" ? new DeflateThreads() : undefined;
    const builder = new SnapshotBuilder(
      threads?.deflate ?? nativeFlushDeflate,
      nativeMd5,
      opts.keepHashBytes,
    );

    beforeAll(async () => {
      database = await open();
      daos = createDaos(database.db, () => {});
      api = adminHarness(database);
      const cluster = await clusterCertificate(mkdtempSync(join(tmpdir(), "lintel-inc-")));
      identity = cluster.identity;
      const parsed = parseDeclarative({
        _format_version: "3.0",
        // a few of the rest's hot types, which go before the types hashed apart in the hot JSON
        certificates: [
          { cert: cluster.certPem, key: cluster.keyPem, snis: [{ name: "a.test" }, { name: "b.test" }] },
        ],
        ca_certificates: [{ cert: await testCertificate({ ca: true }) }],
        services: Array.from({ length: 400 }, (_, i) => ({
          name: `s${i}`,
          url: `http://s${i}.test/v1`,
          routes: [{ name: `r${i}`, paths: [`/s${i}`], plugins: [{ name: "key-auth" }] }],
        })),
        upstreams: [
          {
            name: "up",
            healthchecks: { active: { healthy: { interval: 5 } } },
            targets: [{ target: "10.0.0.1:80", weight: 50 }],
          },
        ],
        consumers: Array.from({ length: 1500 }, (_, i) => ({
          username: `u${i}`,
          keyauth_credentials: [{ key: `key-${i}` }],
          acls: i % 3 ? [] : [{ group: "g" }],
        })),
      });
      if (!parsed.ok) throw new Error("fixture does not parse");
      const applied = await applyDeclarative(database.db, daos, parsed.value);
      if (!applied.ok) throw new Error(applied.error.message);
      incremental = exporter();
      if (opts.restThread) {
        if (!database.postgres) throw new Error("the rest thread needs a Postgres server");
        rest = new RestThread(database.postgres);
      }
    }, 120_000);
    afterAll(async () => {
      await rest?.close();
      await threads?.close();
      await database?.drop();
    });

    /** Builds incrementally and checks the snapshot against a full export of the same database. */
    async function buildAndCompare() {
      // as the publisher does: the rest on its thread once that is ready
      const restThread = rest?.ready ? rest : undefined;
      let part: Promise<RestPart> | undefined;
      const apart = await incremental.export(
        restThread && {
          types: APART_TYPES,
          share: (snapshot) => {
            const started = restThread.start(snapshot);
            part = started.part;
            return started.taken;
          },
        },
      );
      const sealed = await builder.build(apart, { created_at: 1, cp_id: "cp" }, identity, "kid", part);
      const restPart = await part;
      if (restThread) expect(restPart).toBeDefined();
      // rows read and reused on either thread
      const exp = {
        ...apart,
        read: apart.read + (restPart?.read ?? 0),
        reused: apart.reused + (restPart?.reused ?? 0),
      };
      const opened = await openSnapshot(sealed.bytes, {
        signers: [identity.chain[0] as Uint8Array],
        maxPayload: 1 << 30,
      });
      if (!opened.ok) throw new Error(JSON.stringify(opened.error));
      const full = await exportConfig(database.db, daos);
      const hashes = calculateConfigHash(full.config as unknown as Record<string, unknown>);
      expect(opened.value.envelope.hashes).toEqual(hashes);
      expect(opened.value.envelope.config).toEqual(full.config);
      // the hot section is the JSON sealSnapshot writes, to the byte, and so are the cold lines
      const { hot, lines } = splitCold(full.config as unknown as Record<string, unknown>);
      expect(gunzipSync(sealed.bytes.subarray(hotEnd(sealed.bytes, sealed.manifest))).toString()).toBe(
        new TextDecoder().decode(coldBytes(lines)),
      );
      const n = new DataView(sealed.bytes.buffer, sealed.bytes.byteOffset).getUint32(0);
      const hotGz = sealed.bytes.subarray(4 + n, 4 + n + (sealed.manifest.hot_bytes ?? 0));
      expect(gunzipSync(hotGz).toString()).toBe(
        JSON.stringify({
          version: full.version,
          epoch: full.epoch,
          config_hash: hashes.config,
          hashes,
          created_at: 1,
          cp_id: "cp",
          config: hot,
        }),
      );
      return { exp, segments: builder.segments, config: full.config };
    }

    it("builds the full export's snapshot, then reads only what a write changed", async () => {
      const first = await buildAndCompare();
      expect(first.exp.reused).toBe(0);
      expect(first.exp.read).toBe(1 + 2 + 1 + 400 * 3 + 2 + 1500 * 2 + 500);
      if (rest) {
        // started after the first build, as the publisher starts it; it warms up on its own export
        await rest.prepare();
      }

      const res = await api.call("PATCH", "/consumers/u700", { custom_id: "c-700" });
      expect(res.status).toBe(200);
      const after = await buildAndCompare();
      expect(after.exp.read).toBe(1);
      expect(after.exp.reused).toBe(first.exp.read - 1);
      // one segment of consumers is compressed again, the rest reused
      expect(after.segments.compressed).toBe(1);
      expect(after.segments.reused).toBeGreaterThan(10);
      expect(after.config.consumers?.find((c) => c.username === "u700")?.custom_id).toBe("c-700");
    });

    it("follows inserts, deletes, and a service disabled and enabled again", async () => {
      const svc = (await api.call("POST", "/services", { name: "late", host: "late.test" })).body as {
        id: string;
      };
      await api.call("POST", "/services/late/routes", { name: "late-r", paths: ["/late"] });
      expect((await api.call("DELETE", "/consumers/u5/key-auth/key-5")).status).toBe(204);
      expect((await api.call("DELETE", "/consumers/u6")).status).toBe(204);
      let built = await buildAndCompare();
      expect(built.config.routes?.some((r) => r.name === "late-r")).toBe(true);
      expect(built.config.keyauth_credentials?.some((k) => k.key === "key-5")).toBe(false);

      expect((await api.call("PATCH", "/services/s3", { enabled: false })).status).toBe(200);
      built = await buildAndCompare();
      expect(built.config.routes?.some((r) => r.name === "r3")).toBe(false);
      expect(built.exp.read).toBe(1);
      expect((await api.call("PATCH", "/services/s3", { enabled: true })).status).toBe(200);
      built = await buildAndCompare();
      expect(built.config.routes?.some((r) => r.name === "r3")).toBe(true);

      // deleted and created again under the same id, with other content
      expect((await api.call("DELETE", "/services/late/routes/late-r")).status).toBe(204);
      expect((await api.call("DELETE", `/services/${svc.id}`)).status).toBe(204);
      expect(
        (await api.call("PUT", `/services/${svc.id}`, { name: "again", host: "again.test" })).status,
      ).toBe(200);
      built = await buildAndCompare();
      expect(built.config.services?.find((s) => s.id === svc.id)?.host).toBe("again.test");
    });

    it("reads the rows written since, and lists every row's id and version only when some were deleted", async () => {
      expect((await api.call("POST", "/services", { name: "to-delete", host: "gone.test" })).status).toBe(
        201,
      );
      await buildAndCompare();
      const versions = vi.spyOn(daos.services, "versions");
      // a table nothing was written to is counted with the others, in one query, and not read
      const routeReads = vi.spyOn(daos.routes, "exportRows");
      try {
        expect((await api.call("PATCH", "/services/s3", { retries: 7 })).status).toBe(200);
        let built = await buildAndCompare();
        expect(built.exp.read).toBe(1);
        expect(versions).not.toHaveBeenCalled();
        expect(routeReads).not.toHaveBeenCalled();
        expect((await api.call("DELETE", "/services/to-delete")).status).toBe(204);
        built = await buildAndCompare();
        expect(versions).toHaveBeenCalledTimes(1);
        expect(built.config.services?.some((s) => s.name === "to-delete")).toBe(false);
      } finally {
        versions.mockRestore();
        routeReads.mockRestore();
      }
    });

    it("finds a row written by a transaction that was still open when the last export read", async (ctx) => {
      // two connections: a server's, not PGlite's one
      if (!database.postgres) return ctx.skip();
      const other = openPostgres({ ...database.postgres, max: 1 });
      try {
        await other.db.transaction(async (tx) => {
          await tx.execute(sql`UPDATE consumers SET custom_id = 'committed-late' WHERE username = 'u3'`);
          // a later transaction commits first: the export's snapshot ends past the open one
          await database.db.execute(
            sql`UPDATE consumers SET custom_id = 'committed-first' WHERE username = 'u4'`,
          );
          // the export reads while that write is in progress: it does not see it
          const during = await buildAndCompare();
          expect(during.config.consumers?.find((c) => c.username === "u3")?.custom_id).not.toBe(
            "committed-late",
          );
        });
        // committed now, by a transaction numbered before the last export's snapshot ended
        const after = await buildAndCompare();
        expect(after.config.consumers?.find((c) => c.username === "u3")?.custom_id).toBe("committed-late");
      } finally {
        await other.close();
      }
    });

    it.runIf(opts.freeze)("stays right when rows are frozen by VACUUM and written again", async () => {
      await database.db.execute(sql`VACUUM FREEZE consumers`);
      await buildAndCompare();
      expect((await api.call("PATCH", "/consumers/u9", { custom_id: "frozen-then-written" })).status).toBe(
        200,
      );
      await database.db.execute(sql`VACUUM FREEZE consumers`);
      const built = await buildAndCompare();
      expect(built.config.consumers?.find((c) => c.username === "u9")?.custom_id).toBe("frozen-then-written");
    });

    it("reads a table whole again when most of it was written", async () => {
      const before = await buildAndCompare();
      const consumers = before.config.consumers?.length ?? 0;
      await database.db.execute(sql`UPDATE consumers SET tags = ARRAY['bulk'] WHERE username <> 'u1'`);
      const built = await buildAndCompare();
      // the table scanned once, every row but u1's converted again
      expect(built.exp.read).toBe(consumers - 1);
      expect(
        built.config.consumers?.every(
          (c) => c.username === "u1" || (c.tags as string[] | null)?.[0] === "bulk",
        ),
      ).toBe(true);
    });

    it("has Postgres order uuids as their text sorts, which the exporter's cache relies on", async () => {
      const result = await database.db.execute(sql`SELECT id::text AS id FROM consumers ORDER BY id`);
      const ids = (result as unknown as { rows: Array<{ id: string }> }).rows.map((r) => r.id);
      expect(ids.length).toBeGreaterThan(1000);
      expect(ids.every((id, i) => i === 0 || (ids[i - 1] as string) < id)).toBe(true);
    });

    it("reads everything again for another epoch (a restored or replaced database)", async () => {
      await database.db.execute(sql`UPDATE config_version SET epoch = gen_random_uuid()`);
      const built = await buildAndCompare();
      expect(built.exp.reused).toBe(0);
    });

    it("gives a fresh exporter the same snapshot content as one that kept its cache", async () => {
      const kept = await incremental.export();
      const fresh = await exporter().export();
      expect(fresh.reused).toBe(0);
      const ids = (e: typeof kept) => e.types.map((t) => [t.name, t.entities.map((x) => x.entity)]);
      expect(ids(kept)).toEqual(ids(fresh));
    });
  });
}
