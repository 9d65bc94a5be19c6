import { beforeAll, describe, expect, it } from "vitest";
import { createClusterCertificate } from "../../control-plane/node/gen-cert";
import { type ReplayGuard as Guard, ReplayGuard, signHandshake, verifyHandshake } from "./handshake";
import { type ClusterIdentity, loadClusterIdentity } from "./keys";
import { sharedTrust } from "./trust";

const NODE = "7f0c1e52-0000-4000-8000-000000000001";

async function identity(): Promise<ClusterIdentity> {
  const pair = await createClusterCertificate();
  const r = await loadClusterIdentity(pair.certPem, pair.keyPem);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

describe("cluster handshake (shared mode)", () => {
  let cluster: ClusterIdentity;
  let stranger: ClusterIdentity;
  let replay: Guard;
  beforeAll(async () => {
    [cluster, stranger] = await Promise.all([identity(), identity()]);
  });

  const verify = async (token: string, now = Date.now()) =>
    verifyHandshake(token, {
      audience: "kong_clustering",
      now,
      trust: await sharedTrust([cluster.chain[0] as Uint8Array]),
      replay,
    });
  const sign = (
    who: ClusterIdentity,
    extra: Partial<{ aud: string; now: number; jti: string; ttl: number }> = {},
  ) =>
    signHandshake(who, {
      node_id: NODE,
      aud: "kong_clustering",
      now: Date.now(),
      jti: crypto.randomUUID(),
      ...extra,
    });

  it("picks ES384 for a P-384 key, as gen_cert makes", () => {
    expect(cluster.alg).toBe("ES384");
  });

  it("accepts a token signed with the cluster key", async () => {
    replay = new ReplayGuard();
    const r = await verify(await sign(cluster));
    expect(r.ok && r.value.claims.node_id).toBe(NODE);
  });

  it("refuses a certificate other than the cluster's", async () => {
    replay = new ReplayGuard();
    const r = await verify(await sign(stranger));
    expect(r).toMatchObject({
      ok: false,
      error: { reason: "untrusted", detail: { reason: "certificate_mismatch" } },
    });
  });

  it("refuses the cluster's certificate with a signature from another key", async () => {
    replay = new ReplayGuard();
    const forged = await sign({ ...stranger, chain: cluster.chain });
    expect(await verify(forged)).toMatchObject({ ok: false, error: { reason: "bad_signature" } });
  });

  it("refuses a replayed token", async () => {
    replay = new ReplayGuard();
    const token = await sign(cluster);
    expect((await verify(token)).ok).toBe(true);
    expect(await verify(token)).toMatchObject({ ok: false, error: { reason: "replayed" } });
  });

  it("refuses expired, future and wrong-audience tokens", async () => {
    replay = new ReplayGuard();
    const old = await sign(cluster, { now: Date.now() - 10 * 60_000 });
    expect(await verify(old)).toMatchObject({ ok: false, error: { reason: "expired" } });
    const future = await sign(cluster, { now: Date.now() + 10 * 60_000 });
    expect(await verify(future)).toMatchObject({ ok: false, error: { reason: "not_yet_valid" } });
    const elsewhere = await sign(cluster, { aud: "another-cluster" });
    expect(await verify(elsewhere)).toMatchObject({ ok: false, error: { reason: "wrong_audience" } });
  });

  it("refuses garbage", async () => {
    replay = new ReplayGuard();
    expect(await verify("not.a.token")).toMatchObject({ ok: false, error: { reason: "malformed" } });
  });

  it("finds a key that does not belong to the certificate", async () => {
    const a = await createClusterCertificate();
    const b = await createClusterCertificate();
    expect(await loadClusterIdentity(a.certPem, b.keyPem)).toMatchObject({
      ok: false,
      error: { reason: "key_mismatch" },
    });
    expect(await loadClusterIdentity(btoa(a.certPem), btoa(a.keyPem))).toMatchObject({ ok: true });
  });
});
