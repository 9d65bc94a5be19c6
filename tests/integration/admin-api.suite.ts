import { describe, expect, it } from "vitest";
import type { Database } from "../../control-plane/db/client";
import { useAdminApi } from "./admin-harness";

/**
 * The Admin API cases for services and routes, run against each storage implementation. Expected
 * bodies follow Kong's spec/02-integration/04-admin_api (09-routes_routes_spec.lua,
 * 10-services_routes_spec.lua) and spec/02-integration/03-db/02-db_core_entities_spec.lua.
 */
export function adminApiSuite(label: string, open: () => Promise<Database & { drop(): Promise<void> }>) {
  describe(`Admin API on ${label}`, () => {
    const api = useAdminApi(open);

    it("creates a service with Kong's defaults (10-services_routes_spec.lua:53)", async () => {
      const r = await api.call("POST", "/services", { name: "s1", host: "example.com" });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        name: "s1",
        host: "example.com",
        retries: 5,
        protocol: "http",
        port: 80,
        path: null,
        connect_timeout: 60000,
        write_timeout: 60000,
        read_timeout: 60000,
        tags: null,
        client_certificate: null,
        tls_verify: null,
        tls_verify_depth: null,
        ca_certificates: null,
        enabled: true,
      });
      expect(Object.keys(r.body)).toHaveLength(18);
      expect(r.body.created_at).toBe(r.body.updated_at);
      expect(Number.isInteger(r.body.created_at)).toBe(true);
    });

    it("expands the url shorthand (10-services_routes_spec.lua:102)", async () => {
      const r = await api.call("POST", "/services", { name: "s-url", url: "https://service.test/path" });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ protocol: "https", host: "service.test", port: 443, path: "/path" });
    });

    it("refuses a service without host with Kong's body (10-services_routes_spec.lua:867)", async () => {
      const r = await api.call("POST", "/services", {});
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 2,
        name: "schema violation",
        message: "schema violation (host: required field missing)",
        fields: { host: "required field missing" },
      });
    });

    it("reports several violations sorted by field, as Kong does", async () => {
      const r = await api.call("POST", "/services", { connect_timeout: "x" });
      expect(r.status).toBe(400);
      expect(r.body.message).toBe(
        "2 schema violations (connect_timeout: expected an integer; host: required field missing)",
      );
    });

    it("answers a duplicate name with 409 (02-db_core_entities_spec.lua:1464)", async () => {
      const r = await api.call("POST", "/services", { name: "s1", host: "other.com" });
      expect(r.status).toBe(409);
      expect(r.body).toEqual({
        code: 5,
        name: "unique constraint violation",
        message: `UNIQUE violation detected on '{name="s1"}'`,
        fields: { name: "s1" },
      });
    });

    it("answers unparsable JSON with Kong's message (10-services_routes_spec.lua:858)", async () => {
      const r = await api.call("POST", "/services", "{bad", { "content-type": "application/json" });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ message: "Cannot parse JSON body" });
    });

    it("accepts form-encoded bodies with typed values", async () => {
      const r = await api.call("POST", "/services", "name=s-form&host=form.test&port=8080&enabled=false", {
        "content-type": "application/x-www-form-urlencoded",
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ name: "s-form", port: 8080, enabled: false });
    });

    it("gets a service by id and by name, 404 otherwise (10-services_routes_spec.lua:241)", async () => {
      const byName = await api.call("GET", "/services/s1");
      expect(byName.status).toBe(200);
      const byId = await api.call("GET", `/services/${byName.body.id}`);
      expect(byId.body.name).toBe("s1");
      const missing = await api.call("GET", "/services/nope");
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ message: "Not found" });
    });

    it("creates a route with Kong's defaults (09-routes_routes_spec.lua:128)", async () => {
      const r = await api.call("POST", "/routes", { paths: ["/"] });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({
        name: null,
        protocols: ["http", "https"],
        https_redirect_status_code: 426,
        strip_path: true,
        preserve_host: false,
        request_buffering: true,
        response_buffering: true,
        service: null,
        regex_priority: 0,
        path_handling: "v0",
        paths: ["/"],
        methods: null,
        hosts: null,
      });
      expect(Object.keys(r.body)).toHaveLength(21);
    });

    it("refuses an empty route with the https message (09-routes_routes_spec.lua:316)", async () => {
      const r = await api.call("POST", "/routes", {});
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 2,
        name: "schema violation",
        message:
          "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
        fields: {
          "@entity": [
            "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
          ],
        },
      });
    });

    it("reports array element errors by position", async () => {
      const r = await api.call("POST", "/routes", { paths: ["/ok", "foo//bar"] });
      expect(r.status).toBe(400);
      expect(r.body.fields).toEqual({ paths: [null, "must not have empty segments"] });
      expect(r.body.message).toBe("schema violation (paths.2: must not have empty segments)");
    });

    it("refuses a route pointing at a missing service (02-db_core_entities_spec.lua:625)", async () => {
      const id = "123e4567-e89b-42d3-a456-426614174000";
      const r = await api.call("POST", "/routes", { paths: ["/x"], service: { id } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 4,
        name: "foreign key violation",
        message: `the foreign key '{id="${id}"}' does not reference an existing 'services' entity.`,
        fields: { service: { id } },
      });
    });

    it("resolves a service given by name, and refuses an unknown one (09-routes_routes_spec.lua:240, 413)", async () => {
      const ok = await api.call("POST", "/routes", { paths: ["/by-name"], service: { name: "s1" } });
      expect(ok.status).toBe(201);
      const s1 = await api.call("GET", "/services/s1");
      expect(ok.body.service).toEqual({ id: s1.body.id });
      const bad = await api.call("POST", "/routes", {
        paths: ["/by-name"],
        service: { name: "non-existing" },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe(13);
      expect(bad.body.message).toBe(
        `foreign key unresolved (service.name: the foreign key cannot be resolved with '{name="non-existing"}' for an existing 'services' entity)`,
      );
    });

    it("serves nested routes of a service", async () => {
      const created = await api.call("POST", "/services/s1/routes", { name: "nested", paths: ["/n"] });
      expect(created.status).toBe(201);
      const list = await api.call("GET", "/services/s1/routes");
      expect(list.status).toBe(200);
      expect(list.body.data.map((r: { name: string }) => r.name)).toContain("nested");
      const owner = await api.call("GET", "/routes/nested/service");
      expect(owner.body.name).toBe("s1");
      const missing = await api.call("GET", "/services/nope/routes");
      expect(missing.status).toBe(404);
    });

    it("refuses to delete a service that routes still use (02-db_core_entities_spec.lua:2048)", async () => {
      const r = await api.call("DELETE", "/services/s1");
      expect(r.status).toBe(400);
      expect(r.body).toEqual({
        code: 4,
        name: "foreign key violation",
        message: "an existing 'routes' entity references this 'services' entity",
        fields: { "@referenced_by": "routes" },
      });
    });

    it("patches, upserts and deletes (204 also when absent)", async () => {
      const patched = await api.call("PATCH", "/services/s-url", { port: 8443, path: null });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ port: 8443, path: null, host: "service.test" });
      const upserted = await api.call("PUT", "/services/s-put", { host: "put.test" });
      expect(upserted.status).toBe(200);
      expect(upserted.body.name).toBe("s-put");
      const again = await api.call("PUT", "/services/s-put", { host: "put2.test" });
      expect(again.body.id).toBe(upserted.body.id);
      expect(again.body.host).toBe("put2.test");
      expect((await api.call("DELETE", "/services/s-put")).status).toBe(204);
      expect((await api.call("DELETE", "/services/s-put")).status).toBe(204);
      expect((await api.call("GET", "/services/s-put")).status).toBe(404);
      const patchMissing = await api.call("PATCH", "/services/ghost", { port: 1 });
      expect(patchMissing.status).toBe(404);
      expect(patchMissing.body.message).toBe(`could not find the entity with '{name="ghost"}'`);
    });

    it("paginates with size, offset and next (10-services_routes_spec.lua:162)", async () => {
      for (let i = 0; i < 5; i++) await api.call("POST", "/services", { name: `page-${i}`, host: "p.test" });
      const all = await api.call("GET", "/services?size=1000");
      const total = all.body.data.length;
      const seen: string[] = [];
      let next: string | null = "/services?size=2";
      while (next) {
        const page: { body: { data: Array<{ id: string }>; next: string | null; offset?: string } } =
          await api.call("GET", next);
        seen.push(...page.body.data.map((s) => s.id));
        expect(page.body.data.length).toBeLessThanOrEqual(2);
        if (page.body.next) expect(page.body.next).toContain("size=2");
        next = page.body.next;
      }
      expect(seen).toHaveLength(total);
      expect([...seen].sort()).toEqual(seen);
      const badSize = await api.call("GET", "/services?size=x");
      expect(badSize.body).toEqual({ code: 9, name: "invalid size", message: "size must be a number" });
      const badOffset = await api.call("GET", "/services?offset=x");
      expect(badOffset.status).toBe(400);
      expect(badOffset.body.message).toBe("'x' is not a valid offset: bad base64 encoding");
    });

    it("answers OPTIONS with Allow and unknown methods with 405 (09-routes_routes_spec.lua:53, 600)", async () => {
      const o = await api.call("OPTIONS", "/routes");
      expect(o.status).toBe(204);
      expect(o.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
      const m = await api.call("DELETE", "/routes");
      expect(m.status).toBe(405);
      expect(m.body).toEqual({ message: "Method not allowed" });
    });

    it("keeps form keys that name Object.prototype as data: unknown fields, no pollution", async () => {
      const r = await api.call(
        "POST",
        "/services",
        "host=x.test&__proto__.mustBeNull=polluted&constructor=1",
        {
          "content-type": "application/x-www-form-urlencoded",
        },
      );
      expect(r.status).toBe(400);
      expect(r.body.fields).toMatchObject({
        "__proto__.mustBeNull": "unknown field",
        constructor: "unknown field",
      });
      expect(({} as Record<string, unknown>).mustBeNull).toBeUndefined();
      expect((await api.call("POST", "/services", { host: "after.test" })).status).toBe(201);
      const json = await api.call("POST", "/services", '{"host":"x.test","__proto__":{"enabled":false}}', {
        "content-type": "application/json",
      });
      expect(json.status).toBe(400);
      expect(json.body.fields).toEqual(JSON.parse('{"__proto__":"unknown field"}'));
    });

    it("refuses a body over the size limit with 413, writing nothing", async () => {
      const before = api.commits();
      const big = JSON.stringify({ host: "big.test", tags: ["x".repeat(9 * 1024 * 1024)] });
      const r = await api.call("POST", "/services", big, { "content-type": "application/json" });
      expect(r.status).toBe(413);
      expect(api.commits()).toBe(before);
    });

    it("answers a malformed multipart body with 400", async () => {
      const r = await api.call("POST", "/services", "garbage", {
        "content-type": "multipart/form-data; boundary=xyz",
      });
      expect(r.status).toBe(400);
    });

    it("takes form values as Kong infers them: map values become arrays, numbers are numbers", async () => {
      const r = await api.call("POST", "/routes", "paths[]=/form&headers.x-region=north&regex_priority=2.0", {
        "content-type": "application/x-www-form-urlencoded",
      });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ headers: { "x-region": ["north"] }, regex_priority: 2 });
    });

    it("decodes a URL segment once: an invalid name is a 400, never a 500", async () => {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const r = await api.call(method, "/services/%25", method === "PUT" ? { host: "x.test" } : undefined);
        expect(r.status).toBe(400);
        expect(r.body.name).toBe("invalid unique name");
      }
      expect((await api.call("GET", "/services/%E0%A4%A")).status).toBe(400);
    });

    it("refuses a PUT by name that carries another entity's id (primary key violation)", async () => {
      const alpha = await api.call("POST", "/services", { name: "alpha", host: "alpha.test" });
      const r = await api.call("PUT", "/services/beta", { id: alpha.body.id, host: "evil.test" });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 3, name: "primary key violation" });
      expect((await api.call("GET", "/services/alpha")).body.host).toBe("alpha.test");
    });

    it("refuses a pathological wildcard host promptly", async () => {
      const r = await api.call("POST", "/routes", { hosts: [`${"a".repeat(60000)}**`] });
      expect(r.status).toBe(400);
      expect(r.body.fields.hosts).toEqual(["invalid wildcard: must have at most one wildcard"]);
    });

    it("keeps a created_at given on POST, as Kong does", async () => {
      const r = await api.call("POST", "/services", { host: "old.test", created_at: 1500000000 });
      expect(r.body.created_at).toBe(1500000000);
    });

    it("filters by tags: ',' for all, '/' for any, at most five (Kong's invalid options)", async () => {
      await api.call("POST", "/services", { name: "tag-ab", host: "t.test", tags: ["tq-a", "tq-b"] });
      await api.call("POST", "/services", { name: "tag-a", host: "t.test", tags: ["tq-a"] });
      await api.call("POST", "/services", { name: "tag-c", host: "t.test", tags: ["tq-c"] });
      const names = async (q: string) =>
        (await api.call("GET", `/services?tags=${encodeURIComponent(q)}`)).body.data
          .map((s: { name: string }) => s.name)
          .sort();
      expect(await names("tq-a")).toEqual(["tag-a", "tag-ab"]);
      expect(await names("tq-a,tq-b")).toEqual(["tag-ab"]);
      expect(await names("tq-b/tq-c")).toEqual(["tag-ab", "tag-c"]);
      const mixed = await api.call("GET", `/services?tags=${encodeURIComponent("a,b/c")}`);
      expect(mixed.status).toBe(400);
      expect(mixed.body).toMatchObject({ code: 11, name: "invalid options" });
      const many = await api.call("GET", "/services?tags=a,b,c,d,e,f");
      expect(many.body.message).toBe("invalid option (tags: cannot query more than 5 tags)");
      const paged = await api.call("GET", "/services?tags=tq-a&size=1");
      expect(paged.body.next).toMatch(/&tags=tq-a&size=1$/);
    });

    it("bumps the config version once per successful write only", async () => {
      const before = api.commits();
      await api.call("POST", "/services", {});
      expect(api.commits()).toBe(before);
      await api.call("POST", "/services", { host: "bump.test" });
      expect(api.commits()).toBe(before + 1);
    });
  });
}
