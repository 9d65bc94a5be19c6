import { createHash, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../control-plane/db/client";
import { createClusterCertificate } from "../../control-plane/node/gen-cert";
import { testCertificate } from "../helpers/ca";
import { useAdminApi } from "./admin-harness";

/**
 * Kong's other entities through the Admin API: consumers and credentials, plugins, upstreams and
 * targets, certificates, SNIs and CA certificates. Cases follow Kong's
 * spec/02-integration/04-admin_api (03-consumers, 04-plugins, 06-certificates, 07-upstreams,
 * 08-targets, 16-ca_certificates) and the plugins' api specs.
 */
export function entitiesSuite(label: string, open: () => Promise<Database & { drop(): Promise<void> }>) {
  describe(`Kong entities on ${label}`, () => {
    const api = useAdminApi(open);
    let bob: { id: string };
    beforeAll(async () => {
      bob = (await api.call("POST", "/consumers", { username: "bob", custom_id: "b-1" })).body;
    });

    describe("consumers", () => {
      it("needs a username or a custom_id (03-consumers_routes_spec.lua:93)", async () => {
        const r = await api.call("POST", "/consumers", {});
        expect(r.body.message).toBe(
          "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
        );
      });

      it("is found by custom_id with ?custom_id= (api/routes/consumers.lua)", async () => {
        expect((await api.call("GET", "/consumers?custom_id=b-1")).body).toEqual({
          data: [expect.objectContaining({ id: bob.id })],
          next: null,
        });
        expect((await api.call("GET", "/consumers?custom_id=none")).body).toEqual({ data: [], next: null });
        expect((await api.call("GET", "/consumers?custom_id=")).status).toBe(400);
      });

      it("is unique by username and found by it (03-consumers_routes_spec.lua:112)", async () => {
        const dup = await api.call("POST", "/consumers", { username: "bob" });
        expect(dup.status).toBe(409);
        expect(dup.body.message).toBe(`UNIQUE violation detected on '{username="bob"}'`);
        expect((await api.call("GET", "/consumers/bob")).body.id).toBe(bob.id);
      });

      it("refuses a unique value too large for its index with a 400 naming the field, not a 500", async () => {
        // hex of random bytes: over a b-tree entry's 2704 bytes once compressed; Postgres names the
        // index in its error up to a page's 8 kB, not past it
        const huge = randomBytes(1500).toString("hex");
        const r = await api.call("POST", "/consumers", { username: "huge", custom_id: huge });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 2, name: "schema violation" });
        expect(r.body.fields.custom_id).toMatch(/^too long to be kept unique/);
        const key = await api.call("POST", `/consumers/${bob.id}/key-auth`, {
          key: randomBytes(6000).toString("hex"),
        });
        expect(key.status).toBe(400);
        expect(Object.keys(key.body.fields)).toEqual(["key"]);
        // unique with the consumer: the field named is the long one
        const acl = await api.call("POST", `/consumers/${bob.id}/acls`, { group: huge });
        expect(acl.status).toBe(400);
        expect(Object.keys(acl.body.fields)).toEqual(["group"]);
        expect((await api.call("GET", "/consumers/huge")).status).toBe(404);
      });

      it("refuses a string Postgres cannot store (a NUL character) with a 400 naming the field, not a 500", async () => {
        const r = await api.call("POST", "/consumers", { username: "nul", custom_id: "a\u0000b" });
        expect(r.status).toBe(400);
        expect(r.body).toMatchObject({ code: 2, name: "schema violation" });
        expect(r.body.fields).toEqual({ custom_id: "must not contain the NUL character" });
        // in a plugin's config, stored as JSON, as well
        const plugin = await api.call("POST", "/plugins", {
          name: "request-termination",
          config: { message: "no\u0000pe" },
        });
        expect(plugin.status).toBe(400);
        expect(plugin.body.fields).toEqual({ config: { message: "must not contain the NUL character" } });
        expect((await api.call("GET", "/consumers/nul")).status).toBe(404);
      });
    });

    describe("credentials", () => {
      it("generates a key-auth key, unique, listed under the consumer and at /key-auths", async () => {
        const r = await api.call("POST", "/consumers/bob/key-auth", {});
        expect(r.status).toBe(201);
        expect(r.body.key).toMatch(/^[A-Za-z0-9]{32}$/);
        expect(r.body.consumer).toEqual({ id: bob.id });
        const mine = await api.call("POST", "/consumers/bob/key-auth", { key: "bob-key" });
        expect(mine.body.key).toBe("bob-key");
        expect(
          (await api.call("POST", "/key-auths", { key: "bob-key", consumer: { id: bob.id } })).status,
        ).toBe(409);
        expect((await api.call("GET", "/consumers/bob/key-auth/bob-key")).body.id).toBe(mine.body.id);
        expect((await api.call("GET", "/key-auths/bob-key/consumer")).body.username).toBe("bob");
        const all = await api.call("GET", "/consumers/bob/key-auth");
        expect(all.body.data).toHaveLength(2);
      });

      it("stores basic-auth passwords as Kong's SHA-1 hash, never in clear (basic-auth/02-api_spec.lua:86)", async () => {
        const r = await api.call("POST", "/consumers/bob/basic-auth", {
          username: "bob-basic",
          password: "kong",
        });
        expect(r.status).toBe(201);
        const expected = createHash("sha1").update(`kong${bob.id}`).digest("hex");
        expect(r.body.password).toBe(expected);
        const patched = await api.call("PATCH", `/basic-auths/${r.body.id}`, { tags: ["t"] });
        expect(patched.body.password).toBe(expected);
        const listed = await api.call("GET", "/basic-auths");
        expect(JSON.stringify(listed.body)).not.toContain('"kong"');
      });

      it("requires rsa_public_key for RS256 jwt secrets (jwt/02-api_spec.lua:181)", async () => {
        const r = await api.call("POST", "/consumers/bob/jwt", { algorithm: "RS256" });
        expect(r.status).toBe(400);
        expect(r.body.fields).toEqual({
          "@entity": ["failed conditional validation given value of field 'algorithm'"],
          rsa_public_key: "required field missing",
        });
        const hs = await api.call("POST", "/consumers/bob/jwt", {});
        expect(hs.body).toMatchObject({ algorithm: "HS256", rsa_public_key: null });
        expect(hs.body.secret).toMatch(/^[A-Za-z0-9]{32}$/);
      });

      it("keeps ACL groups unique per consumer, found by group under the consumer", async () => {
        const r = await api.call("POST", "/consumers/bob/acls", { group: "admins" });
        expect(r.status).toBe(201);
        const dup = await api.call("POST", "/consumers/bob/acls", { group: "admins" });
        expect(dup.status).toBe(409);
        expect(dup.body.message).toBe(
          `UNIQUE violation detected on '{consumer={id="${bob.id}"},group="admins"}'`,
        );
        expect((await api.call("GET", "/consumers/bob/acls/admins")).body.id).toBe(r.body.id);
        const noKey = await api.call("GET", "/acls/admins");
        expect(noKey.status).toBe(400);
        expect(noKey.body.name).toBe("invalid primary key");
      });

      it("goes with its consumer when the consumer is deleted", async () => {
        const carol = (await api.call("POST", "/consumers", { username: "carol" })).body;
        await api.call("POST", "/consumers/carol/key-auth", { key: "carol-key" });
        expect((await api.call("DELETE", "/consumers/carol")).status).toBe(204);
        expect((await api.call("GET", "/key-auths/carol-key")).status).toBe(404);
        expect((await api.call("GET", `/consumers/${carol.id}`)).status).toBe(404);
      });
    });

    describe("plugins", () => {
      it("refuses a plugin Lintel does not have, with Kong's message (03-consumers_routes_spec.lua:944)", async () => {
        const r = await api.call("POST", "/plugins", { name: "nope" });
        expect(r.status).toBe(400);
        expect(r.body.fields).toEqual({
          name: "plugin 'nope' not enabled; add it to the 'plugins' configuration property",
        });
      });

      it("fills a plugin's config defaults and scopes it to a service", async () => {
        await api.call("POST", "/services", { name: "plugged", host: "p.test" });
        const r = await api.call("POST", "/services/plugged/plugins", { name: "key-auth" });
        expect(r.status).toBe(201);
        expect(r.body.config).toMatchObject({
          key_names: ["apikey"],
          hide_credentials: false,
          key_in_header: true,
        });
        expect(r.body).toMatchObject({
          enabled: true,
          protocols: ["grpc", "grpcs", "http", "https"],
          route: null,
        });
        const dup = await api.call("POST", "/services/plugged/plugins", { name: "key-auth" });
        expect(dup.status).toBe(409);
      });

      it("validates a plugin's config and checks", async () => {
        const unknown = await api.call("POST", "/plugins", { name: "cors", config: { nope: 1 } });
        expect(unknown.body.message).toBe("schema violation (config.nope: unknown field)");
        const both = await api.call("POST", "/plugins", {
          name: "acl",
          config: { allow: ["a"], deny: ["b"] },
        });
        expect(both.body.fields["@entity"]).toEqual([
          "exactly one of these fields must be non-empty: 'config.allow', 'config.deny'",
        ]);
        const limitless = await api.call("POST", "/plugins", { name: "rate-limiting", config: {} });
        expect(limitless.status).toBe(400);
        const scoped = await api.call("POST", "/plugins", { name: "key-auth", consumer: { id: bob.id } });
        expect(scoped.body.fields).toEqual({ consumer: "value must be null" });
      });

      it("must share a protocol with its route (dao/plugins.lua)", async () => {
        const route = await api.call("POST", "/services/plugged/routes", {
          name: "tcp-ish",
          paths: ["/h"],
          protocols: ["https"],
        });
        const r = await api.call("POST", `/routes/${route.body.id}/plugins`, {
          name: "cors",
          protocols: ["http"],
        });
        expect(r.body.fields).toEqual({ protocols: "must match the associated route's protocols" });
        expect(
          (await api.call("POST", `/routes/${route.body.id}/plugins`, { name: "cors", protocols: ["https"] }))
            .status,
        ).toBe(201);
      });

      it("checks the transformer, proxy-cache and http-log configs", async () => {
        const noValue = await api.call("POST", "/plugins", {
          name: "request-transformer",
          config: { add: { headers: ["x-a:1", "x-b"] } },
        });
        expect(noValue.body.message).toBe(
          `schema violation (config.add: {headers={null,"key 'x-b' has no value"}})`,
        );
        const ok = await api.call("POST", "/plugins", {
          name: "response-transformer",
          config: { add: { json: ["a:1"], json_types: ["number"] } },
        });
        expect(ok.status).toBe(201);
        expect(ok.body.config.remove).toEqual({ json: [], headers: [] });
        const cache = await api.call("POST", "/plugins", { name: "proxy-cache", config: {} });
        expect(cache.body.fields).toEqual({ config: { strategy: "required field missing" } });
        const log = await api.call("POST", "/plugins", {
          name: "http-log",
          config: { http_endpoint: "http://log.test/x" },
        });
        expect(log.body.config).toMatchObject({
          method: "POST",
          timeout: 10000,
          queue: { max_batch_size: 1 },
        });
      });

      it("patches a plugin's config field by field", async () => {
        const r = await api.call("POST", "/plugins", { name: "rate-limiting", config: { minute: 10 } });
        expect(r.status).toBe(201);
        const p = await api.call("PATCH", `/plugins/${r.body.id}`, { config: { hour: 100 } });
        expect(p.status).toBe(200);
        expect(p.body.config).toMatchObject({ minute: 10, hour: 100, policy: "local" });
      });
    });

    describe("upstreams and targets", () => {
      it("creates an upstream with Kong's defaults and healthchecks", async () => {
        const r = await api.call("POST", "/upstreams", { name: "backend.internal" });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({
          algorithm: "round-robin",
          hash_on: "none",
          hash_fallback: "none",
          hash_on_cookie_path: "/",
          slots: 10000,
          use_srv_name: false,
        });
        expect(r.body.healthchecks.threshold).toBe(0);
        expect(r.body.healthchecks.active.unhealthy.http_statuses).toEqual([
          429, 404, 500, 501, 502, 503, 504, 505,
        ]);
        expect(r.body.healthchecks.passive.unhealthy.http_statuses).toEqual([429, 500, 503]);
      });

      it("couples hash_on and algorithm, and checks hash inputs", async () => {
        const r = await api.call("POST", "/upstreams", { name: "hashed", hash_on: "ip" });
        expect(r.body.algorithm).toBe("consistent-hashing");
        const h = await api.call("POST", "/upstreams", { name: "hdr", hash_on: "header" });
        expect(h.body.fields).toEqual({
          "@entity": ["failed conditional validation given value of field 'hash_on'"],
          hash_on_header: "required field missing",
        });
        const ip = await api.call("POST", "/upstreams", { name: "10.0.0.1" });
        expect(ip.body.fields).toEqual({ name: "Invalid name ('10.0.0.1'); no ip addresses allowed" });
      });

      it("normalises targets, keeps them unique per upstream, and serves them only under it (08-targets_routes_spec.lua)", async () => {
        const r = await api.call("POST", "/upstreams/backend.internal/targets", { target: "10.0.0.07" });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ target: "10.0.0.7:8000", weight: 100 });
        const dup = await api.call("POST", "/upstreams/backend.internal/targets", {
          target: "10.0.0.7:8000",
        });
        expect(dup.status).toBe(409);
        const bad = await api.call("POST", "/upstreams/backend.internal/targets", { target: "bad host" });
        expect(bad.body.fields).toEqual({
          target: "Invalid target ('bad host'); not a valid hostname or ip address",
        });
        expect((await api.call("GET", "/targets")).status).toBe(404);
        expect((await api.call("GET", "/upstreams/backend.internal/targets/10.0.0.7:8000")).body.id).toBe(
          r.body.id,
        );
        expect((await api.call("DELETE", "/upstreams/backend.internal")).status).toBe(204);
        expect((await api.call("GET", `/upstreams/${r.body.upstream.id}/targets`)).status).toBe(404);
      });
    });

    describe("certificates", () => {
      it("binds the snis given with a certificate, sorted, and checks the key (06-certificates_routes_spec.lua)", async () => {
        const pair = await createClusterCertificate();
        const r = await api.call("POST", "/certificates", {
          cert: pair.certPem,
          key: pair.keyPem,
          snis: ["b.test", "a.test"],
        });
        expect(r.status).toBe(201);
        expect(r.body.snis).toEqual(["a.test", "b.test"]);
        expect((await api.call("GET", "/snis/a.test")).body.certificate).toEqual({ id: r.body.id });
        const other = await createClusterCertificate();
        const taken = await api.call("POST", "/certificates", {
          cert: other.certPem,
          key: other.keyPem,
          snis: ["a.test"],
        });
        expect(taken.body.message).toBe(
          `schema violation (snis: a.test already associated with existing certificate '${r.body.id}')`,
        );
        const mismatch = await api.call("POST", "/certificates", { cert: pair.certPem, key: other.keyPem });
        expect(mismatch.body.message).toBe("schema violation (certificate does not match key)");
        const put = await api.call("PUT", `/certificates/${r.body.id}`, {
          cert: pair.certPem,
          key: pair.keyPem,
        });
        expect(put.body.snis).toEqual([]);
        expect((await api.call("GET", "/snis/a.test")).status).toBe(404);
      });

      it("accepts only unexpired CA certificates, one at a time (16-ca_certificates_routes_spec.lua:98)", async () => {
        const leaf = await testCertificate({ ca: false, name: "CN=leaf" });
        const notCa = await api.call("POST", "/ca_certificates", { cert: leaf });
        expect(notCa.body.message).toBe(
          'schema violation (certificate does not appear to be a CA because it is missing the "CA" basic constraint)',
        );
        const ca = await testCertificate({ ca: true });
        const two = await api.call("POST", "/ca_certificates", { cert: ca + ca });
        expect(two.body.message).toBe("schema violation (please submit only one certificate at a time)");
        const expired = await api.call("POST", "/ca_certificates", {
          cert: await testCertificate({ ca: true, days: -1 }),
        });
        expect(expired.body.message).toBe(
          'schema violation (certificate expired, "Not After" time is in the past)',
        );
        const ok = await api.call("POST", "/ca_certificates", { cert: ca });
        expect(ok.status).toBe(201);
        expect(ok.body.cert_digest).toMatch(/^[0-9a-f]{64}$/);
        expect((await api.call("POST", "/ca_certificates", { cert: ca })).status).toBe(409);
      });
    });
  });
}
