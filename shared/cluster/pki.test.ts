import { beforeAll, describe, expect, it } from "vitest";
import { CLIENT_AUTH, hierarchy, issue, KeyUsage, SERVER_AUTH } from "../../tests/helpers/pki";
import { verifyChain } from "./pki";

type H = Awaited<ReturnType<typeof hierarchy>>;

/** Kong's `cluster_mtls = pki` acceptance rules, with certificates made at test time. */
describe("PKI chain checks", () => {
  let h: H;
  const now = Date.now();
  beforeAll(async () => {
    h = await hierarchy();
  });

  const client = (chain: Uint8Array[], cas: Uint8Array[] = [h.root.der]) =>
    verifyChain(chain, cas, { purpose: "client", now });

  it("accepts a DP chain through an intermediate to the CA", async () => {
    expect((await client([h.dp.der, h.intermediate.der])).ok).toBe(true);
  });

  it("refuses a chain to an unknown CA", async () => {
    const other = await issue({ name: "Other Root", ca: true });
    expect(await client([h.dp.der, h.intermediate.der], [other.der])).toMatchObject({
      ok: false,
      error: { reason: "unknown_ca" },
    });
  });

  it("refuses an expired and a not yet valid leaf", async () => {
    const expired = await issue({
      name: "old",
      issuer: h.intermediate,
      eku: [CLIENT_AUTH],
      notBefore: new Date(now - 10 * 86400_000),
      notAfter: new Date(now - 86400_000),
    });
    expect(await client([expired.der, h.intermediate.der])).toMatchObject({
      ok: false,
      error: { reason: "expired" },
    });
    const future = await issue({
      name: "new",
      issuer: h.intermediate,
      eku: [CLIENT_AUTH],
      notBefore: new Date(now + 86400_000),
    });
    expect(await client([future.der, h.intermediate.der])).toMatchObject({
      ok: false,
      error: { reason: "not_yet_valid" },
    });
  });

  it("refuses a leaf without client authentication in its Extended Key Usage", async () => {
    const serverOnly = await issue({ name: "srv", issuer: h.intermediate, eku: [SERVER_AUTH] });
    expect(await client([serverOnly.der, h.intermediate.der])).toMatchObject({
      ok: false,
      error: { reason: "wrong_usage", needed: "clientAuth" },
    });
  });

  it("refuses four intermediates (Kong's verify depth)", async () => {
    let issuer = h.root;
    const chain: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      issuer = await issue({ name: `I${i}`, issuer, ca: true });
      chain.unshift(issuer.der);
    }
    const leaf = await issue({ name: "deep", issuer, eku: [CLIENT_AUTH] });
    expect(await client([leaf.der, ...chain])).toMatchObject({
      ok: false,
      error: { reason: "too_many_intermediates", count: 4 },
    });
  });

  it("refuses an issuer that is not a CA, and one past its path length", async () => {
    const notCa = await issue({ name: "not-ca", issuer: h.root, ca: false });
    const leaf = await issue({ name: "under-not-ca", issuer: notCa, eku: [CLIENT_AUTH] });
    expect(await client([leaf.der, notCa.der])).toMatchObject({ ok: false, error: { reason: "not_a_ca" } });
    const sub = await issue({ name: "sub", issuer: h.intermediate, ca: true });
    const deep = await issue({ name: "too-deep", issuer: sub, eku: [CLIENT_AUTH] });
    expect(await client([deep.der, sub.der, h.intermediate.der])).toMatchObject({
      ok: false,
      error: { reason: "path_too_long" },
    });
  });

  it("refuses a forged chain (a leaf not signed by the issuer it names)", async () => {
    const impostor = await issue({ name: "Lintel Test Intermediate", ca: true });
    const leaf = await issue({ name: "forged", issuer: impostor, eku: [CLIENT_AUTH] });
    expect(await client([leaf.der, h.intermediate.der])).toMatchObject({
      ok: false,
      error: { reason: "bad_signature" },
    });
  });

  it("trusts old and new CAs of the same name at once (a rotation)", async () => {
    const oldRoot = await issue({ name: "Rotating Root", ca: true });
    const newRoot = await issue({ name: "Rotating Root", ca: true });
    const leaf = await issue({ name: "dp-new", issuer: newRoot, eku: [CLIENT_AUTH] });
    expect((await client([leaf.der], [oldRoot.der, newRoot.der])).ok).toBe(true);
    expect((await client([leaf.der], [oldRoot.der])).ok).toBe(false);
  });

  it("builds the path by name: extra and out-of-order certificates are fine", async () => {
    const unrelated = await issue({ name: "Unrelated", ca: true });
    expect((await client([h.dp.der, unrelated.der, h.intermediate.der])).ok).toBe(true);
  });

  it("refuses an issuer whose key usage does not allow signing certificates", async () => {
    const signerOnly = await issue({
      name: "KU CA",
      issuer: h.root,
      ca: true,
      keyUsage: KeyUsage.digitalSignature,
    });
    const leaf = await issue({ name: "under-ku", issuer: signerOnly, eku: [CLIENT_AUTH] });
    expect(await client([leaf.der, signerOnly.der])).toMatchObject({
      ok: false,
      error: { reason: "not_a_ca" },
    });
  });

  it("checks a CP for server authentication and its name", async () => {
    const server = (name: string) =>
      verifyChain([h.cp.der, h.intermediate.der], [h.root.der], { purpose: "server", now, serverName: name });
    expect((await server("cp.lintel.test")).ok).toBe(true);
    expect(await server("other.test")).toMatchObject({ ok: false, error: { reason: "name_mismatch" } });
    expect(
      await verifyChain([h.dp.der, h.intermediate.der], [h.root.der], {
        purpose: "server",
        now,
        serverName: "dp-1",
      }),
    ).toMatchObject({
      ok: false,
      error: { reason: "wrong_usage", needed: "serverAuth" },
    });
  });
});
