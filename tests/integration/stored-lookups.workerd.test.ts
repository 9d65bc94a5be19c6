import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalDp } from "../../cli/local-dp";
import { clusterCertificate } from "../helpers/certs";
import { keyAuthPlugin, route, service, snapshotOf } from "../helpers/config-builder";
import { type FakeCp, startDpFor, startFakeCp } from "../helpers/fake-cp";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * An isolate that looks consumers up in its DP node may ask while the node already holds a newer
 * config than the isolate serves. Such an answer must not be remembered for the isolate's config:
 * a credential created and then deleted brings the config back to the very same hash, and the
 * isolate, still on that hash, would go on accepting the deleted key.
 */
describe("lookups in the DP node's storage across configs", () => {
  let dir: string;
  let cp: FakeCp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let dp: LocalDp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-lookups-"));
    certs = await clusterCertificate(dir);
    cp = await startFakeCp();
    upstream = await startUpstream();
    dp = await startDpFor(cp, certs, dir, {
      // the isolate keeps the config it loaded first for the whole test
      KONG_CONFIG_CHECK_INTERVAL: "3600",
      KONG_DATA_PLANE_CONSUMERS_IN_MEMORY: "1",
    });
    await waitFor("the DP to connect", () => (cp.sockets.length ? true : undefined));
  }, 60_000);
  afterAll(async () => {
    await dp?.close();
    await cp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("does not remember an answer from a newer config: a deleted key is refused when the config comes back", async () => {
    const svc = service({ name: "aba", url: upstream.url });
    const rt = route({ name: "aba", paths: ["/aba"] }, svc.id);
    const keyAuth = keyAuthPlugin(rt.id);
    const ann = { id: randomUUID(), username: "ann" };
    const annKey = { id: randomUUID(), key: "ann-key", consumer: ann.id };
    const later = { id: randomUUID(), key: "created-then-deleted", consumer: ann.id };
    const snapshot = (version: number, keys: unknown[]) =>
      snapshotOf(certs.identity, version, [svc], [rt], {
        more: { plugins: [keyAuth], consumers: [ann], keyauth_credentials: keys },
      });
    const nodeAt = (version: number) =>
      waitFor(`the DP node at version ${version}`, async () =>
        (await dp.nodeStatus()).version === version ? true : undefined,
      );
    const get = async (key: string) => {
      const r = await fetch(`${dp.url}/aba/x`, { headers: { apikey: key } });
      await r.arrayBuffer();
      return r.status;
    };

    const first = await snapshot(1, [annKey]);
    cp.send(first.bytes);
    await nodeAt(1);
    expect(await get("ann-key")).toBe(200); // the isolate loads version 1 and keeps it

    cp.send((await snapshot(2, [annKey, later])).bytes);
    await nodeAt(2);
    // the isolate still serves version 1; the node answers from version 2
    expect(await get("created-then-deleted")).toBe(200);

    const back = await snapshot(3, [annKey]);
    expect(back.manifest.config_hash).toBe(first.manifest.config_hash);
    cp.send(back.bytes);
    await nodeAt(3);
    expect(await get("created-then-deleted")).toBe(401);
    expect(await get("ann-key")).toBe(200);
  }, 60_000);
});
