import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalDp } from "../cli/local-dp";
import type { ClusterIdentity } from "../shared/cluster/keys";
import { MAX_CLUSTER_PAYLOAD } from "../shared/conf/options";
import { keyAuthPlugin, route, service, snapshotOf } from "../tests/helpers/config-builder";
import { startFakeCp } from "../tests/helpers/fake-cp";
import { freePort } from "../tests/helpers/ports";
import { waitFor } from "../tests/helpers/wait";
import { type HeapUsage, IsolateInspector } from "./inspector-heap";

/*
 * The heap of a DP's isolate in workerd, read through workerd's inspector, before and after it
 * takes a config: what the 128 MB of an isolate must hold. In workerd the DP node (the Durable
 * Object) runs in the same isolate as the Worker, so the numbers count both; at the edge the node
 * may run in an isolate of its own.
 */

export type IsolateHeapCase = {
  /** What the config is, for the table. */
  label: string;
  /** The sealed snapshot, signed by the cluster certificate in `bindings`. */
  sealed: Uint8Array;
  /** Options of this case's DP (KONG_* variables), besides the shared ones. */
  options?: Record<string, string>;
  /** A key-auth key of the config, sent on `probe` once the config is taken: it must authenticate. */
  key?: string;
};

export type IsolateHeapRow = {
  label: string;
  /** The snapshot's size as sent. */
  bytes: number;
  /** Whether the node keeps the consumers and credentials (the isolate looks them up). */
  stored: boolean;
  /** After a full collection: the isolate before any config (the baseline), and with the config. */
  empty: HeapUsage;
  taken: HeapUsage;
  /** The most seen in use while the config was taken, JS and buffers (sampled between tasks, garbage and all). */
  peakBytes: number;
  /** How long the config took to be served, from the moment it was sent. */
  takenMs: number;
  /** The case's key sent once: its request's time (the isolate asks the node the first time). */
  keyMs?: number;
};

/**
 * Each case in a workerd of its own. `probe` is a request the config answers with 401 (a route
 * behind key-auth): the isolate serves the config once it does.
 */
export async function benchIsolateHeap(
  cases: IsolateHeapCase[],
  bindings: Record<string, string>,
  probe: { path: string; host: string },
  log: (m: string) => void,
): Promise<IsolateHeapRow[]> {
  const rows: IsolateHeapRow[] = [];
  for (const c of cases) {
    log(`isolate heap: ${c.label}`);
    const dir = mkdtempSync(join(tmpdir(), "lintel-heap-"));
    const cp = await startFakeCp();
    const inspectorPort = await freePort();
    const dp = await startLocalDp({
      prefix: dir,
      quiet: true,
      host: "127.0.0.1",
      port: await freePort(),
      inspectorPort,
      bindings: {
        ...bindings,
        KONG_CLUSTER_CONTROL_PLANE: cp.url,
        KONG_CONFIG_CHECK_INTERVAL: "0.05",
        KONG_DATA_PLANE_CONFIG_CACHE_MODE: "off",
        ...c.options,
      },
    });
    const inspector = await IsolateInspector.connect(inspectorPort);
    try {
      await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
      const status = async (headers: Record<string, string> = {}) => {
        const r = await dp.mf.dispatchFetch(`http://${probe.host}${probe.path}`, { headers });
        await r.arrayBuffer();
        return r.status;
      };
      await status(); // the request path runs once before the baseline
      const empty = await inspector.heapAfterGc();
      const sampling = inspector.samplePeak(empty.jsBytes + empty.bufferBytes);
      const sentAt = performance.now();
      cp.send(c.sealed);
      const node = await waitFor(
        "the config to be taken and served",
        async () => {
          const s = await dp.nodeStatus();
          return s.version !== null && (await status()) === 401 ? s : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 20 },
      );
      const takenMs = performance.now() - sentAt;
      const peak = await sampling.stop();
      const taken = await inspector.heapAfterGc();
      let keyMs: number | undefined;
      if (c.key !== undefined) {
        const t = performance.now();
        const keyed = await status({ apikey: c.key });
        keyMs = performance.now() - t;
        // authenticated: past key-auth, to the route's (closed) upstream
        if (keyed === 401) throw new Error(`${c.label}: the config's key was refused`);
      }
      rows.push({
        label: c.label,
        bytes: c.sealed.length,
        stored: node.consumers_stored,
        empty,
        taken,
        peakBytes: peak,
        takenMs,
        ...(keyMs === undefined ? {} : { keyMs }),
      });
    } finally {
      inspector.close();
      await dp.close();
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/**
 * A snapshot near the largest `cluster_max_payload`: one route behind key-auth (`probe`) and 60
 * consumers with 1 MiB of incompressible tags each, so that as sent it is nearly as large as its
 * JSON. The case that decides the bound: the node holds it whole while it takes it.
 */
export async function largestCase(
  identity: ClusterIdentity,
  probe: { path: string; host: string },
): Promise<IsolateHeapCase> {
  const svc = service({ name: "largest", url: "http://127.0.0.1:9" });
  const r = route({ hosts: [probe.host], paths: [probe.path] }, svc.id);
  const consumers = Array.from({ length: 60 }, (_, i) => ({
    id: randomUUID(),
    username: `heavy-${i}`,
    tags: [randomBytes(768 * 1024).toString("base64")],
  }));
  const sealed = await snapshotOf(identity, 1, [svc], [r], {
    more: { plugins: [keyAuthPlugin(r.id)], consumers },
  });
  return {
    label: `${(sealed.bytes.length / 2 ** 20).toFixed(1)} MiB (60 consumers of 1 MiB)`,
    sealed: sealed.bytes,
    options: { KONG_CLUSTER_MAX_PAYLOAD: String(MAX_CLUSTER_PAYLOAD) },
  };
}

/**
 * Hundreds of thousands of credentials: one route behind key-auth (`probe`) and `consumers`
 * consumers with a key each, which the DP node keeps in its storage; the last consumer's key is
 * sent once the config is served.
 */
export async function manyCredentialsCase(
  identity: ClusterIdentity,
  probe: { path: string; host: string },
  consumers: number,
): Promise<IsolateHeapCase> {
  const svc = service({ name: "many", url: "http://127.0.0.1:9" });
  const r = route({ hosts: [probe.host], paths: [probe.path] }, svc.id);
  const people = Array.from({ length: consumers }, (_, i) => ({ id: randomUUID(), username: `user-${i}` }));
  const keys = people.map((c, i) => ({ id: randomUUID(), key: `key-${i}`, consumer: c.id }));
  const sealed = await snapshotOf(identity, 1, [svc], [r], {
    more: { plugins: [keyAuthPlugin(r.id)], consumers: people, keyauth_credentials: keys },
  });
  return {
    label: `${consumers} consumers with a key each`,
    sealed: sealed.bytes,
    options: { KONG_CLUSTER_MAX_PAYLOAD: String(MAX_CLUSTER_PAYLOAD) },
    key: `key-${consumers - 1}`,
  };
}
