import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, KEPT_SNAPSHOT, startControlPlane } from "../../control-plane/node/control-plane";
import { keepSnapshot } from "../../control-plane/node/kept-snapshot";
import { parseConf } from "../../shared/conf/options";
import { openSnapshot, sealSnapshot } from "../../shared/snapshot/codec";
import { clusterCertificate } from "../helpers/certs";
import { freePort } from "../helpers/ports";
import { waitFor } from "../helpers/wait";

/**
 * A control plane keeps the last snapshot it signed in its prefix and, started again, serves it
 * before its first build is done, only while it is still the database's config, signed with the
 * node's key, and whole.
 */
describe("the snapshot a control plane keeps across a restart", () => {
  let dir: string;
  let kept: string;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;
  let other: Awaited<ReturnType<typeof clusterCertificate>>;
  let cp: ControlPlane | undefined;
  let logs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-kept-"));
    kept = join(dir, KEPT_SNAPSHOT);
    certs = await clusterCertificate(dir);
    other = await clusterCertificate(dir, "other");
  });
  afterAll(async () => {
    await cp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (cert = certs) => {
    await cp?.close();
    logs = [];
    const conf = parseConf({
      prefix: dir,
      admin_listen: `127.0.0.1:${await freePort()}`,
      cluster_listen: `127.0.0.1:${await freePort()}`,
      cluster_cert: cert.cert,
      cluster_cert_key: cert.key,
    });
    if (!conf.ok) throw new Error(conf.error.join());
    cp = await startControlPlane(conf.value, { log: (m) => logs.push(m) });
    return cp;
  };
  const addService = async (node: ControlPlane, name: string) => {
    const res = await fetch(`${node.adminUrl}/services`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, url: "http://127.0.0.1:9/" }),
    });
    expect(res.status).toBe(201);
  };
  /** Waits until the node built a snapshot of `version` and wrote it to its prefix. */
  const keptVersion = async (node: ControlPlane, version: number) => {
    const snapshot = await waitFor(`config version ${version}`, () =>
      node.publisher.snapshot?.manifest.version === version ? node.publisher.snapshot : undefined,
    );
    await node.close();
    cp = undefined;
    expect(readFileSync(kept).subarray(-snapshot.bytes.length)).toEqual(Buffer.from(snapshot.bytes));
    return snapshot;
  };

  it("serves the kept snapshot at once after a restart, and keeps it when the first build finds no change", async () => {
    const first = await start();
    await addService(first, "one");
    const before = await keptVersion(first, 1);
    expect(statSync(kept).mode & 0o077).toBe(0);

    const again = await start();
    // served before the first build is done: the snapshot signed before, not a new one
    expect(again.publisher.snapshot?.manifest).toEqual(before.manifest);
    expect(logs.join("\n")).toContain("serving the snapshot kept");
    await again.publisher.idle();
    expect(again.publisher.snapshot?.manifest).toEqual(before.manifest);
    expect(again.publisher.snapshot?.plugins).toEqual(before.plugins);
  });

  it("replaces a kept snapshot of the same version that its first build makes differently", async () => {
    // as another build of Lintel might have made it: signed with the node's key, another hash
    const file = readFileSync(kept);
    const headEnd = file.indexOf(0x0a, file.indexOf(0x0a) + 1);
    const { kid } = JSON.parse(file.subarray(file.indexOf(0x0a) + 1, headEnd).toString()) as { kid: string };
    const opened = await openSnapshot(new Uint8Array(file.subarray(headEnd + 1)), {
      signers: [certs.identity.chain[0] as Uint8Array],
      maxPayload: 1 << 24,
    });
    if (!opened.ok) throw new Error(opened.error.reason);
    const real = opened.value.manifest.config_hash;
    const other = await sealSnapshot(
      { ...opened.value.envelope, config_hash: "0".repeat(32) },
      certs.identity,
      kid,
    );
    await keepSnapshot(kept, { ...other, plugins: [] }, kid);

    const node = await start();
    expect(node.publisher.snapshot?.manifest.config_hash).toBe("0".repeat(32));
    await node.publisher.idle();
    expect(node.publisher.snapshot?.manifest.config_hash).toBe(real);
    expect(node.publisher.snapshot?.manifest.version).toBe(1);
  });

  it("builds anew when the database changed while the node was down", async () => {
    copyFileSync(kept, `${kept}.v1`);
    const node = await start();
    await addService(node, "two");
    await keptVersion(node, 2);
    copyFileSync(`${kept}.v1`, kept);

    const again = await start();
    expect(logs.join("\n")).toContain("is of config version 1; the database has changed since");
    expect(again.publisher.snapshot?.manifest.version).toBe(2);
  });

  it("builds anew when the kept file is damaged", async () => {
    const node = await start();
    const held = node.publisher.snapshot;
    await node.close();
    cp = undefined;
    const bytes = readFileSync(kept);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
    writeFileSync(kept, bytes);

    const again = await start();
    expect(logs.join("\n")).toMatch(/snapshot kept in .* is not used: (it does not open|its cold section)/);
    expect(again.publisher.snapshot?.manifest.version).toBe(2);
    expect(again.publisher.snapshot?.manifest.created_at).not.toBe(held?.manifest.created_at);
  });

  it("builds anew when the node signs with another certificate", async () => {
    const again = await start(other);
    expect(logs.join("\n")).toContain("was signed with another certificate");
    expect(again.publisher.snapshot?.manifest.version).toBe(2);
    await again.publisher.idle();
    // and keeps the one it signed now
    const node = await start(other);
    expect(logs.join("\n")).toContain("serving the snapshot kept");
    expect(node.publisher.snapshot?.manifest.version).toBe(2);
  });
});
