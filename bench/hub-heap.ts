import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startManagedCp } from "../tests/helpers/managed-cp";
import { startPgWebSocketRelay } from "../tests/helpers/pg-websocket-relay";
import { freePort } from "../tests/helpers/ports";
import { type HeapUsage, IsolateInspector } from "./inspector-heap";

/*
 * The managed CP's Hub (a Durable Object: one isolate, 128 MB at the edge) building the snapshot
 * of a database's config, its isolate's memory read through workerd's inspector: what it keeps
 * between builds (the exporter's rows, the compressed runs, the snapshot; not the hash bytes), and
 * the most seen while it builds.
 */

export type HubHeapRow = {
  entities: number;
  /** From the Hub's first call until it holds a snapshot: its first export and build. */
  firstBuildMs: number;
  /** From an Admin API write until the Hub holds its snapshot. */
  writeBuildMs: number;
  empty: HeapUsage;
  /** After a full collection, once built, and once built again after the write. */
  built: HeapUsage;
  rebuilt: HeapUsage;
  /** The most seen in use while building, garbage included (sampled between tasks). */
  peakBytes: number;
};

type Hub = { currentHash(): Promise<string | undefined> };

/**
 * The managed CP Worker in workerd on the database at `databaseUrl` (which holds a config of
 * `entities` entities), through the WebSocket relay that stands in for Neon's proxy. `consumer`:
 * the username of a consumer to write to.
 */
export async function benchHubHeap(
  databaseUrl: string,
  entities: number,
  consumer: string,
  certs: Record<string, string>,
  log: (m: string) => void,
): Promise<HubHeapRow> {
  log(`managed CP Hub: ${entities} entities`);
  const dir = mkdtempSync(join(tmpdir(), "lintel-hub-heap-"));
  const relay = await startPgWebSocketRelay();
  const inspectorPort = await freePort();
  const token = "bench";
  const managed = await startManagedCp({
    dir,
    inspectorPort,
    bindings: {
      ...certs,
      DATABASE_URL: databaseUrl,
      DATABASE_WEBSOCKET_PROXY: relay.url,
      KONG_ADMIN_TOKEN: token,
    },
  });
  // workerd's inspector answers between the isolate's tasks: requests keep it turning
  let poking = true;
  const poke = (async () => {
    while (poking) {
      await (await fetch(`${managed.url}/nothing-here`)).arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const inspector = await IsolateInspector.connect(inspectorPort);
  try {
    const ns = await managed.mf.getDurableObjectNamespace("HUB");
    const hub = ns.get(ns.idFromName("hub")) as unknown as Hub;
    const empty = await inspector.heapAfterGc();
    const sampling = inspector.samplePeak(empty.jsBytes + empty.bufferBytes);
    const hashOtherThan = async (previous: string | undefined) => {
      for (;;) {
        const hash = await hub.currentHash();
        if (hash && hash !== previous && !/^0+$/.test(hash)) return hash;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let started = performance.now();
    const first = await hashOtherThan(undefined);
    const firstBuildMs = performance.now() - started;
    const built = await inspector.heapAfterGc();
    started = performance.now();
    const written = await fetch(`${managed.url}/consumers/${consumer}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", "kong-admin-token": token },
      body: JSON.stringify({ custom_id: `hub-${Date.now()}` }),
    });
    if (written.status !== 200) throw new Error(`write: ${written.status} ${await written.text()}`);
    await hashOtherThan(first);
    const writeBuildMs = performance.now() - started;
    const peakBytes = await sampling.stop();
    const rebuilt = await inspector.heapAfterGc();
    return { entities, firstBuildMs, writeBuildMs, empty, built, rebuilt, peakBytes };
  } finally {
    poking = false;
    await poke;
    inspector.close();
    await managed.close();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
