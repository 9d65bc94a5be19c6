import { beforeAll, describe, expect, it } from "vitest";
import { createClusterCertificate } from "../../control-plane/node/gen-cert";
import { type ClusterIdentity, loadClusterIdentity } from "../cluster/keys";
import { MAX_CLUSTER_PAYLOAD } from "../conf/options";
import { calculateConfigHash } from "../hash/config-hash";
import { hotPart, openManifest, openSnapshot, sealSnapshot } from "./codec";
import { type Envelope, MAX_HOT_JSON } from "./envelope";

async function identity(): Promise<ClusterIdentity> {
  const pair = await createClusterCertificate();
  const r = await loadClusterIdentity(pair.certPem, pair.keyPem);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

function envelope(version: number, host = "example.com"): Envelope {
  const config = {
    _format_version: "3.0" as const,
    _transform: false as const,
    services: [{ id: "11111111-1111-4111-8111-111111111111", host, port: 80 }] as never,
  };
  const hashes = calculateConfigHash(config);
  return {
    version,
    epoch: "e1",
    config_hash: hashes.config,
    hashes,
    created_at: 100 + version,
    cp_id: "cp",
    config,
  };
}

describe("snapshot codec", () => {
  let cp: ClusterIdentity;
  let other: ClusterIdentity;
  let signers: Uint8Array[];
  beforeAll(async () => {
    [cp, other] = await Promise.all([identity(), identity()]);
    signers = [cp.chain[0] as Uint8Array];
  });

  it("round-trips a signed, gzipped snapshot", async () => {
    const { bytes, manifest } = await sealSnapshot(envelope(3), cp, "kid");
    const opened = await openSnapshot(bytes, { signers, maxPayload: 1 << 20 });
    expect(opened).toMatchObject({ ok: true, value: { manifest, envelope: envelope(3) } });
  });

  it("refuses a snapshot signed by another key", async () => {
    const { bytes } = await sealSnapshot(envelope(3), other, "kid");
    expect(await openSnapshot(bytes, { signers, maxPayload: 1 << 20 })).toMatchObject({
      ok: false,
      error: { reason: "bad_signature" },
    });
  });

  it("refuses a snapshot whose config bytes were changed", async () => {
    const { bytes } = await sealSnapshot(envelope(3), cp, "kid");
    const tampered = bytes.slice();
    tampered[tampered.length - 9] = (tampered[tampered.length - 9] ?? 0) ^ 0xff;
    expect(await openSnapshot(tampered, { signers, maxPayload: 1 << 20 })).toMatchObject({
      ok: false,
      error: { reason: "digest_mismatch" },
    });
  });

  it("refuses an older version than the one held (rollback protection)", async () => {
    const { bytes } = await sealSnapshot(envelope(3), cp, "kid");
    expect(
      await openManifest(bytes, {
        signers,
        maxPayload: 1 << 20,
        current: { version: 4, epoch: "e1", created_at: 104 },
      }),
    ).toMatchObject({
      ok: false,
      error: { reason: "stale", version: 3, current: 4 },
    });
  });

  it("takes a snapshot of a new epoch (a restored database) only when it was made later", async () => {
    const { bytes } = await sealSnapshot(envelope(3), cp, "kid");
    const other = (created_at: number) => ({ version: 90, epoch: "e0", created_at });
    expect((await openManifest(bytes, { signers, maxPayload: 1 << 20, current: other(50) })).ok).toBe(true);
    expect(await openManifest(bytes, { signers, maxPayload: 1 << 20, current: other(500) })).toMatchObject({
      ok: false,
      error: { reason: "stale" },
    });
  });

  it("refuses a snapshot over cluster_max_payload (its bytes as they travel, as Kong bounds frames) before anything else", async () => {
    const { bytes } = await sealSnapshot(envelope(3), cp, "kid");
    expect(await openManifest(bytes, { signers, maxPayload: bytes.length - 1 })).toMatchObject({
      ok: false,
      error: { reason: "too_large", size: bytes.length, limit: bytes.length - 1 },
    });
    expect((await openManifest(bytes, { signers, maxPayload: bytes.length })).ok).toBe(true);
  });

  it("opens a snapshot whose hot JSON is the most an isolate parses (MAX_HOT_JSON), and refuses one byte more", async () => {
    const sized = (filler: number) => {
      const e = envelope(5);
      (e.config.services as unknown as Array<Record<string, unknown>>).push({
        id: "22222222-2222-4222-8222-222222222222",
        host: "big.example.com",
        port: 80,
        tags: ["x".repeat(filler)],
      });
      return e;
    };
    const base = JSON.stringify(sized(0)).length;
    const largest = await sealSnapshot(sized(MAX_HOT_JSON - base), cp, "kid");
    expect(largest.manifest.size).toBe(MAX_HOT_JSON);
    const opened = await openSnapshot(largest.bytes, { signers, maxPayload: MAX_CLUSTER_PAYLOAD });
    expect(opened.ok && opened.value.envelope.config.services?.length).toBe(2);
    const over = await sealSnapshot(sized(MAX_HOT_JSON - base + 1), cp, "kid");
    expect(await openManifest(over.bytes, { signers, maxPayload: MAX_CLUSTER_PAYLOAD })).toMatchObject({
      ok: false,
      error: { reason: "too_large", part: "hot", size: MAX_HOT_JSON + 1, limit: MAX_HOT_JSON },
    });
  }, 60_000);

  it("keeps consumers and credentials in a cold section: merged, verified, skipped or read one by one", async () => {
    const e = envelope(4);
    const consumers = Array.from({ length: 3 }, (_, i) => ({ id: `c${i}`, username: `u${i}` }));
    const keys = [{ id: "k0", key: "secret", consumer: "c1" }];
    e.config = { ...e.config, consumers, keyauth_credentials: keys } as never;
    const { bytes, manifest } = await sealSnapshot(e, cp, "kid");
    expect(manifest).toMatchObject({ cold_entities: 4, hot_bytes: expect.any(Number) });
    const merged = await openSnapshot(bytes, { signers, maxPayload: 1 << 20 });
    expect(merged.ok && merged.value.envelope.config).toMatchObject({ consumers, keyauth_credentials: keys });

    const read: string[] = [];
    const streamed = await openSnapshot(bytes, {
      signers,
      maxPayload: 1 << 20,
      cold: (type, entity) => {
        read.push(`${type}:${entity.id}`);
      },
    });
    expect(streamed.ok && streamed.value.envelope.config.consumers).toBeUndefined();
    expect(read).toEqual(["consumers:c0", "consumers:c1", "consumers:c2", "keyauth_credentials:k0"]);

    // the hot part alone verifies, and holds no consumer
    const hot = await openSnapshot(hotPart(bytes, manifest), { signers, maxPayload: 1 << 20, cold: "skip" });
    expect(hot.ok && hot.value.envelope.config.services).toHaveLength(1);
    expect(hot.ok && hot.value.envelope.config.consumers).toBeUndefined();
    expect(await openSnapshot(hotPart(bytes, manifest), { signers, maxPayload: 1 << 20 })).toMatchObject({
      ok: false,
      error: { reason: "malformed", detail: "the cold section is missing" },
    });

    // a changed cold byte is refused even by a reader that only verifies it
    const tampered = bytes.slice();
    tampered[tampered.length - 12] = (tampered[tampered.length - 12] ?? 0) ^ 1;
    expect(await openSnapshot(tampered, { signers, maxPayload: 1 << 20, cold: "verify" })).toMatchObject({
      ok: false,
      error: { reason: "digest_mismatch" },
    });
    expect((await openSnapshot(tampered, { signers, maxPayload: 1 << 20, cold: "skip" })).ok).toBe(true);

    // in pieces, cut anywhere (in the length prefix, the signature, either section), as frames come
    const cut = (b: Uint8Array, at: number[]) =>
      [0, ...at, b.length].slice(1).map((end, i, ends) => b.subarray(i ? (ends[i - 1] as number) : 0, end));
    const end = hotPart(bytes, manifest).length;
    for (const at of [[2], [10, end - 1], [end], [end + 3, bytes.length - 5], [1, 2, 3, end + 1]]) {
      const pieces = cut(bytes, at);
      expect(await openSnapshot(pieces, { signers, maxPayload: 1 << 20 })).toEqual(merged);
      expect(
        await openSnapshot(cut(tampered, at), { signers, maxPayload: 1 << 20, cold: "verify" }),
      ).toMatchObject({
        ok: false,
        error: { reason: "digest_mismatch" },
      });
    }
    expect(await openSnapshot(cut(bytes, [end]), { signers, maxPayload: bytes.length - 1 })).toMatchObject({
      ok: false,
      error: { reason: "too_large", size: bytes.length },
    });
  });

  it("refuses truncated input", async () => {
    const { bytes } = await sealSnapshot(envelope(3), cp, "kid");
    expect((await openSnapshot(bytes.subarray(0, 3), { signers, maxPayload: 1 << 20 })).ok).toBe(false);
    expect((await openSnapshot(bytes.subarray(0, 40), { signers, maxPayload: 1 << 20 })).ok).toBe(false);
  });
});
