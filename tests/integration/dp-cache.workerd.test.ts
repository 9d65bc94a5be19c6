import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { openSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { route, service, snapshotOf } from "../helpers/config-builder";
import { type FakeCp, startDpFor, startFakeCp } from "../helpers/fake-cp";
import { freePort } from "../helpers/ports";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * The KV config cache (`data_plane_config_cache_mode`): a DP node that starts with no storage of
 * its own serves the cached config, verified again; a tampered cache is refused.
 */
describe("edge DP config cache in workerd", () => {
  let dir: string;
  let cp: FakeCp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let dp: LocalDp | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-cache-"));
    certs = await clusterCertificate(dir);
    cp = await startFakeCp();
    upstream = await startUpstream();
    port = await freePort();
  });
  afterAll(async () => {
    await dp?.close();
    await cp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (mode: string, controlPlane = cp.url) =>
    startLocalDp({
      prefix: dir,
      host: "127.0.0.1",
      port,
      bindings: {
        KONG_CLUSTER_CERT: certs.certPem,
        KONG_CLUSTER_CERT_KEY: certs.keyPem,
        KONG_CLUSTER_CONTROL_PLANE: controlPlane,
        KONG_CONFIG_CHECK_INTERVAL: "0.05",
        KONG_DATA_PLANE_CONFIG_CACHE_MODE: mode,
      },
    });
  const status = async (path: string) => {
    const r = await fetch(`${dp?.url}${path}`);
    await r.arrayBuffer();
    return r.status;
  };
  /** A restart as on a node with no storage of its own: the Durable Object state is gone, KV stays. */
  const restartWithoutNodeState = async (mode: string, controlPlane?: string) => {
    await dp?.close();
    rmSync(join(dir, "dp", "state"), { recursive: true, force: true });
    dp = await start(mode, controlPlane);
  };
  const cached = async () => {
    const kv = await (dp as LocalDp).mf.getKVNamespace("CONFIG_CACHE");
    const e = await kv.getWithMetadata("lintel:config", "arrayBuffer");
    return { value: e.value, metadata: e.metadata as { mode: string; version: number } | null };
  };

  it("writes the verified snapshot to KV, encrypted by default", async () => {
    dp = await start("encrypted");
    await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
    const svc = service({ url: upstream.url });
    const snap = await snapshotOf(certs.identity, 3, [svc], [route({ paths: ["/cached"] }, svc.id)]);
    cp.send(snap.bytes);
    await waitFor("the route", async () => ((await status("/cached")) === 200 ? true : undefined));
    const entry = await waitFor("the cache entry", async () => {
      const e = await cached();
      return e.value ? e : undefined;
    });
    expect(entry.metadata).toMatchObject({ mode: "encrypted", version: 3 });
    const raw = new Uint8Array(entry.value as ArrayBuffer);
    const asIs = await openSnapshot(raw, {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 1 << 24,
    });
    expect(asIs.ok).toBe(false);
  });

  it("serves the cached config when the node starts with nothing and the CP is away", async () => {
    await restartWithoutNodeState("encrypted", "ws://127.0.0.1:9");
    expect(await status("/cached/x")).toBe(200);
  });

  it("refuses a tampered cache", async () => {
    const kv = await (dp as LocalDp).mf.getKVNamespace("CONFIG_CACHE");
    const entry = await cached();
    const bytes = new Uint8Array(entry.value as ArrayBuffer);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    await kv.put("lintel:config", bytes, { metadata: entry.metadata });
    await restartWithoutNodeState("encrypted", "ws://127.0.0.1:9");
    expect(await status("/cached/x")).toBe(404);
  });

  it("keeps the signed snapshot as it is when unencrypted, and nothing when off", async () => {
    await restartWithoutNodeState("unencrypted");
    const svc = service({ url: upstream.url });
    const snap = await snapshotOf(certs.identity, 4, [svc], [route({ paths: ["/plain"] }, svc.id)]);
    await waitFor("the DP to reconnect", () =>
      cp.sockets.filter((s) => s.readyState === 1).length ? true : undefined,
    );
    cp.send(snap.bytes);
    const entry = await waitFor("the plain cache entry", async () => {
      const e = await cached();
      return e.metadata?.version === 4 ? e : undefined;
    });
    expect(entry.metadata?.mode).toBe("unencrypted");
    const opened = await openSnapshot(new Uint8Array(entry.value as ArrayBuffer), {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 1 << 24,
    });
    expect(opened.ok).toBe(true);

    const kv = await (dp as LocalDp).mf.getKVNamespace("CONFIG_CACHE");
    await kv.delete("lintel:config");
    await restartWithoutNodeState("off");
    const next = await snapshotOf(certs.identity, 5, [svc], [route({ paths: ["/plain"] }, svc.id)]);
    await waitFor("the DP to reconnect", () =>
      cp.sockets.filter((s) => s.readyState === 1).length ? true : undefined,
    );
    cp.send(next.bytes);
    await waitFor("the route", async () => ((await status("/plain")) === 200 ? true : undefined));
    expect((await cached()).value).toBeNull();
  });
});

describe("edge DP with a bundled declarative config", () => {
  it("serves the bundled kong.yml until the control plane sends a config, which then wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lintel-bundled-"));
    const certs = await clusterCertificate(dir);
    const cp = await startFakeCp();
    const upstream = await startUpstream();
    const dp = await startDpFor(cp, certs, dir, {
      KONG_DECLARATIVE_CONFIG_STRING: `_format_version: "3.0"\nservices:\n  - name: bundled\n    url: ${upstream.url}\n    routes:\n      - paths: [/bundled]\n`,
    });
    const status = async (path: string) => {
      const r = await fetch(`${dp.url}${path}`);
      await r.arrayBuffer();
      return r.status;
    };
    try {
      expect(await status("/bundled/x")).toBe(200);
      await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
      const svc = service({ url: upstream.url });
      cp.send((await snapshotOf(certs.identity, 1, [svc], [route({ paths: ["/from-cp"] }, svc.id)])).bytes);
      await waitFor("the CP's config", async () => ((await status("/from-cp")) === 200 ? true : undefined));
      expect(await status("/bundled/x")).toBe(404);
    } finally {
      await dp.close();
      await cp.close();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
