import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait";
import { pluginFixture } from "./plugin-fixture";

/**
 * Authentication and access plugins configured through a real CP, run by a DP in workerd against a
 * real upstream: key-auth, basic-auth, jwt, mtls-auth, acl, with Kong's scopes and anonymous consumers.
 */
describe("authentication plugins on the edge DP", () => {
  const f = pluginFixture("plugin-auth");

  it("key-auth: refuses without a key and with a wrong one, lets a consumer in with Kong's headers", async () => {
    expect(
      (
        await f.admin("POST", "/routes/locked/plugins", {
          name: "key-auth",
          config: { hide_credentials: true },
        })
      ).status,
    ).toBe(201);
    const none = await f.eventually(401, "/locked/x");
    expect(none.json()).toEqual({
      message: "No API key found in request",
      request_id: none.headers.get("x-kong-request-id"),
    });
    expect(none.headers.get("www-authenticate")).toBe("Key");
    const wrong = await f.get("/locked/x", { headers: { apikey: "nope" } });
    expect([wrong.status, wrong.json().message]).toEqual([401, "Unauthorized"]);
    const dup = await f.get("/locked/x?apikey=a&apikey=b");
    expect([dup.status, dup.json().message]).toEqual([401, "Duplicate API key found"]);

    const ok = await f.get("/locked/x?apikey=ann-key&keep=1");
    expect(ok.status).toBe(200);
    const seen = f.upstream.seen.at(-1);
    expect(seen?.headers).toMatchObject({ "x-consumer-username": "ann", "x-consumer-custom-id": "c-1" });
    expect(seen?.headers["x-credential-identifier"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.url).toBe("/x?keep=1"); // hide_credentials took the key out
    expect((await f.get("/open/x")).status).toBe(200);
  });

  it("applies a consumer's own configuration once key-auth has identified the consumer (Kong's scopes)", async () => {
    const bob = (await f.admin("GET", "/consumers/bob")).json;
    expect(
      (
        await f.admin("POST", "/plugins", {
          name: "request-termination",
          consumer: { id: bob.id },
          config: { status_code: 403, message: "bob is on holiday" },
        })
      ).status,
    ).toBe(201);
    const asBob = await f.eventually(403, "/locked/x", { headers: { apikey: "bob-key" } });
    expect(asBob.json()).toEqual({ message: "bob is on holiday" });
    expect((await f.get("/locked/x", { headers: { apikey: "ann-key" } })).status).toBe(200);
  });

  it("key-auth with anonymous lets an unknown client in as the anonymous consumer", async () => {
    const anon = (await f.admin("POST", "/consumers", { username: "anonymous" })).json;
    const plugin = (await f.admin("GET", "/routes/locked/plugins")).json.data.find(
      (p: { name: string }) => p.name === "key-auth",
    );
    expect((await f.admin("PATCH", `/plugins/${plugin.id}`, { config: { anonymous: anon.id } })).status).toBe(
      200,
    );
    await f.eventually(200, "/locked/x");
    expect(f.upstream.seen.at(-1)?.headers).toMatchObject({
      "x-consumer-username": "anonymous",
      "x-anonymous-consumer": "true",
    });
  });

  it("acl lets in the consumers of an allowed group, with their groups for the service", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "staff", paths: ["/staff"] })).status,
    ).toBe(201);
    expect((await f.admin("POST", "/routes/staff/plugins", { name: "key-auth" })).status).toBe(201);
    expect(
      (await f.admin("POST", "/routes/staff/plugins", { name: "acl", config: { allow: ["staff"] } })).status,
    ).toBe(201);
    expect((await f.admin("POST", "/consumers/ann/acls", { group: "staff" })).status).toBe(201);
    expect((await f.admin("POST", "/consumers/ann/acls", { group: "ops" })).status).toBe(201);
    await f.cp.publisher.schedule();
    // key-auth and acl may reach the DP in separate snapshots: wait for acl's own answer
    const bob = await waitFor("acl's refusal", async () => {
      const r = await f.get("/staff/x", { headers: { apikey: "bob-key" } });
      return r.status === 403 && r.json().message === "You cannot consume this service" ? r : undefined;
    });
    expect(bob.json().message).toBe("You cannot consume this service");
    // ann's second group may come in a later snapshot than acl itself
    const groups = await waitFor("both of ann's groups", async () => {
      expect((await f.get("/staff/x", { headers: { apikey: "ann-key" } })).status).toBe(200);
      const seen = String(f.upstream.seen.at(-1)?.headers["x-consumer-groups"]).split(", ");
      return seen.length === 2 ? seen : undefined;
    });
    // Kong lists a consumer's groups in id order, as it reads them
    expect(groups.sort()).toEqual(["ops", "staff"]);
  });

  it("basic-auth: Kong's hashed passwords, Proxy-Authorization first, hide_credentials", async () => {
    expect(
      (await f.admin("POST", "/consumers/ann/basic-auth", { username: "ann-basic", password: "s3cret" }))
        .status,
    ).toBe(201);
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "basic", paths: ["/basic"] })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/routes/basic/plugins", {
          name: "basic-auth",
          config: { hide_credentials: true },
        })
      ).status,
    ).toBe(201);
    const none = await f.eventually(401, "/basic/x");
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="service"');
    const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;
    expect(
      (await f.get("/basic/x", { headers: { authorization: basic("ann-basic", "wrong") } })).status,
    ).toBe(401);
    expect((await f.get("/basic/x", { headers: { authorization: "Bearer x" } })).status).toBe(401);
    const ok = await f.get("/basic/x", { headers: { authorization: basic("ann-basic", "s3cret") } });
    expect(ok.status).toBe(200);
    const seen = f.upstream.seen.at(-1)?.headers;
    expect(seen?.["x-consumer-username"]).toBe("ann");
    expect(seen?.["x-credential-identifier"]).toBe("ann-basic");
    expect(seen?.authorization).toBeUndefined();
    const viaProxy = await f.get("/basic/x", {
      headers: { "proxy-authorization": basic("ann-basic", "s3cret"), authorization: basic("nobody", "x") },
    });
    expect(viaProxy.status).toBe(200);
  });

  it("jwt: HS256 and RS256 tokens against consumers' credentials, with Kong's errors", async () => {
    const { SignJWT, exportSPKI, generateKeyPair } = await import("jose");
    const rsa = await generateKeyPair("RS256");
    // bob has a consumer-scoped request-termination (above): carol holds the RS256 credential
    expect((await f.admin("POST", "/consumers", { username: "carol" })).status).toBe(201);
    expect(
      (await f.admin("POST", "/consumers/ann/jwt", { key: "ann-iss", secret: "ann-secret" })).status,
    ).toBe(201);
    expect(
      (
        await f.admin("POST", "/consumers/carol/jwt", {
          key: "carol-iss",
          algorithm: "RS256",
          rsa_public_key: await exportSPKI(rsa.publicKey),
        })
      ).status,
    ).toBe(201);
    expect((await f.admin("POST", "/services/echo/routes", { name: "jwt", paths: ["/jwt"] })).status).toBe(
      201,
    );
    expect(
      (await f.admin("POST", "/routes/jwt/plugins", { name: "jwt", config: { claims_to_verify: ["exp"] } }))
        .status,
    ).toBe(201);
    const hs = (claims: Record<string, unknown>, secret = "ann-secret") =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
    const soon = Math.floor(Date.now() / 1000) + 600;
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

    const none = await f.eventually(401, "/jwt/x");
    expect(none.json()).toEqual({ message: "Unauthorized" });
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    const forged = await f.get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: soon }, "wrong")));
    expect([forged.status, forged.json()]).toEqual([401, { message: "Invalid signature" }]);
    const expired = await f.get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: 1000 })));
    expect([expired.status, expired.json()]).toEqual([401, { exp: "token expired" }]);
    const stranger = await f.get("/jwt/x", bearer(await hs({ iss: "nobody", exp: soon })));
    expect(stranger.json()).toEqual({ message: "No credentials found for given 'iss'" });

    const ok = await f.get("/jwt/x", bearer(await hs({ iss: "ann-iss", exp: soon })));
    expect(ok.status).toBe(200);
    expect(f.upstream.seen.at(-1)?.headers).toMatchObject({
      "x-consumer-username": "ann",
      "x-credential-identifier": "ann-iss",
    });
    const rs = await new SignJWT({ iss: "carol-iss", exp: soon })
      .setProtectedHeader({ alg: "RS256" })
      .sign(rsa.privateKey);
    expect((await f.get(`/jwt/x?jwt=${rs}`)).status).toBe(200);
    expect(f.upstream.seen.at(-1)?.headers["x-consumer-username"]).toBe("carol");
    const wrongAlg = await f.get("/jwt/x", bearer(await hs({ iss: "carol-iss", exp: soon })));
    expect(wrongAlg.json()).toEqual({ message: "Invalid algorithm" });
  });

  it("mtls-auth: the client certificate Cloudflare saw, verified against the plugin's CA, mapped to a consumer", async () => {
    const { issue, KeyUsage, CLIENT_AUTH } = await import("../helpers/pki");
    const { createHash } = await import("node:crypto");
    const ca = await issue({
      name: "Client CA",
      ca: true,
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    });
    const other = await issue({
      name: "Other CA",
      ca: true,
      keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
    });
    const erin = await issue({ name: "erin", issuer: ca, eku: [CLIENT_AUTH] });
    const stranger = await issue({ name: "erin", issuer: other, eku: [CLIENT_AUTH] });
    const caEntity = (await f.admin("POST", "/ca_certificates", { cert: ca.pem })).json;
    expect((await f.admin("POST", "/consumers", { username: "erin" })).status).toBe(201);
    expect((await f.admin("POST", "/services/echo/routes", { name: "mtls", paths: ["/mtls"] })).status).toBe(
      201,
    );
    expect(
      (
        await f.admin("POST", "/routes/mtls/plugins", {
          name: "mtls-auth",
          config: { ca_certificates: [caEntity.id] },
        })
      ).status,
    ).toBe(201);
    const send = async (der: Uint8Array | undefined, tls: Record<string, string> = {}) => {
      const res = await f.dp.mf.dispatchFetch(`${f.dp.url}/mtls/x`, {
        headers: der ? { "client-cert": `:${Buffer.from(der).toString("base64")}:` } : {},
        cf: {
          tlsClientAuth: der
            ? {
                certPresented: "1",
                certFingerprintSHA256: createHash("sha256").update(der).digest("hex"),
                certRevoked: "0",
                ...tls,
              }
            : { certPresented: "0" },
        } as never,
      });
      return { status: res.status, body: (await res.json()) as { message?: string } };
    };
    await f.cp.publisher.schedule();
    const none = await waitFor("mtls-auth on the route", async () => {
      const r = await send(undefined);
      return r.status === 401 ? r : undefined;
    });
    expect(none.body.message).toBe("No required TLS certificate was sent");
    expect((await send(erin.der)).status).toBe(200);
    expect(f.upstream.seen.at(-1)?.headers["x-consumer-username"]).toBe("erin");
    expect((await send(stranger.der)).body.message).toBe("TLS certificate failed verification");
    expect((await send(erin.der, { certRevoked: "1" })).status).toBe(401);
    // a Client-Cert header that is not the certificate of the connection counts for nothing
    expect((await send(erin.der, { certFingerprintSHA256: "0".repeat(64) })).body.message).toBe(
      "No required TLS certificate was sent",
    );
  });
});
