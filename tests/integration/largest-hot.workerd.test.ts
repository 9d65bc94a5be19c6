import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalDp } from "../../cli/local-dp";
import { MAX_HOT_JSON } from "../../shared/snapshot/envelope";
import { clusterCertificate } from "../helpers/certs";
import { keyAuthPlugin, route, service, snapshotOf } from "../helpers/config-builder";
import { type FakeCp, startDpFor, startFakeCp } from "../helpers/fake-cp";
import { limitWorkerdHeap } from "../helpers/heap-limit";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/** A Worker's isolate at the edge: 128 MB. */
limitWorkerdHeap(128);

/**
 * The largest hot section a DP takes (MAX_HOT_JSON of JSON, which every isolate parses and
 * compiles whole), made of the smallest entities, the most objects per byte: a service, a route
 * and a plugin each, about 1.1 KiB of JSON. A DP in a workerd whose isolates have a V8 heap of
 * 128 MiB takes it and serves it; one byte over, the DP refuses it with the reason, as it came.
 */
describe("the largest hot section on an edge DP, within an isolate's memory", () => {
  let dir: string;
  let cp: FakeCp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let dp: LocalDp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-hot-"));
    certs = await clusterCertificate(dir);
    cp = await startFakeCp();
    upstream = await startUpstream();
    dp = await startDpFor(cp, certs, dir);
    await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
  });
  afterAll(async () => {
    await dp?.close();
    await cp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A config of `n` services, each with a route and a key-auth plugin. */
  const config = (version: number, n: number) => {
    const services = Array.from({ length: n }, (_, i) => service({ name: `s${i}`, url: upstream.url }));
    const routes = services.map((s, i) => route({ name: `r${i}`, paths: [`/s${i}`] }, s.id));
    const plugins = routes.map((r) => keyAuthPlugin(r.id));
    return snapshotOf(certs.identity, version, services, routes, { more: { plugins } });
  };

  it("takes a hot section just under MAX_HOT_JSON and serves its last route", async () => {
    const largest = await config(1, 28_500);
    expect(largest.manifest.size).toBeLessThan(MAX_HOT_JSON);
    expect(largest.manifest.size).toBeGreaterThan(MAX_HOT_JSON * 0.97);
    cp.send(largest.bytes);
    await waitFor(
      "the last route",
      async () => ((await fetch(`${dp.url}/s28499/x`)).status === 401 ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    expect((await dp.nodeStatus()).config_hash).toBe(largest.manifest.config_hash);
  }, 180_000);

  it("refuses one over it, naming the reason to the CP, and keeps serving the one it has", async () => {
    const over = await config(2, 29_500);
    expect(over.manifest.size).toBeGreaterThan(MAX_HOT_JSON);
    cp.messages.length = 0;
    cp.send(over.bytes);
    const refusal = await waitFor("the refusal", () =>
      cp.messages.find((m) => (m.error as { reason?: string } | undefined)?.reason === "too_large"),
    );
    expect(refusal.error).toMatchObject({ reason: "too_large" });
    expect((await fetch(`${dp.url}/s28499/x`)).status).toBe(401);
  }, 180_000);
});
