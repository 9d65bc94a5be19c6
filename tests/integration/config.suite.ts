import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { Database } from "../../control-plane/db/client";
import { useAdminApi } from "./admin-harness";

const KONG_YML = `
_format_version: "3.0"
services:
  - name: example
    url: http://upstream.test:8080/base
    routes:
      - name: example-route
        paths: [/example]
        headers:
          x-tenant: [a, b]
        tags: [edge, "with space"]
        plugins:
          - name: cors
    plugins:
      - name: key-auth
  - name: other
    host: other.test
consumers:
  - username: bob
    keyauth_credentials:
      - key: bob-secret
    basicauth_credentials:
      - username: bob
        password: s3cret
    acls:
      - group: admins
upstreams:
  - name: backend.internal
    healthchecks:
      active:
        http_path: /status
    targets:
      - target: 10.0.0.1:8080
      - target: 10.0.0.2
routes:
  - name: top-level-route
    service: other
    hosts: [other.example]
plugins:
  - name: rate-limiting
    service: other
    config:
      minute: 10
`;

/** `/config`: a whole `kong.yml` in, the whole configuration out (Kong's declarative format 3.0). */
export function configSuite(label: string, open: () => Promise<Database & { drop(): Promise<void> }>) {
  describe(`/config on ${label}`, () => {
    const api = useAdminApi(open);

    it("imports a kong.yml with nested entities and references by name, ids derived as Kong derives them", async () => {
      const r = await api.call("POST", "/config", KONG_YML, { "content-type": "application/yaml" });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      // uuid5(uuid5(fd02801f-..., entity), name), as kong/db/schema/others/declarative_config.lua:613
      expect(Object.keys(r.body.services)).toContain("89dd9e9d-3f98-5e11-ab72-c90b6c2d30a2");
      expect(Object.keys(r.body.routes)).toContain("eeb325b8-afd4-5ba2-a113-c34eeb969c1d");
      expect(Object.keys(r.body.consumers)).toEqual(["def4f7d3-9863-5ad2-8fa9-c949bf26f55e"]);
      const route = await api.call("GET", "/routes/example-route");
      expect(route.body.service).toEqual({ id: "89dd9e9d-3f98-5e11-ab72-c90b6c2d30a2" });
      expect((await api.call("GET", "/routes/top-level-route/service")).body.name).toBe("other");
      expect((await api.call("GET", "/routes/example-route/plugins")).body.data[0].name).toBe("cors");
      expect((await api.call("GET", "/services/other/plugins")).body.data[0].config.minute).toBe(10);
      const basic = await api.call("GET", "/consumers/bob/basic-auth/bob");
      const bob = await api.call("GET", "/consumers/bob");
      expect(basic.body.password).toBe(createHash("sha1").update(`s3cret${bob.body.id}`).digest("hex"));
      const targets = await api.call("GET", "/upstreams/backend.internal/targets");
      expect(targets.body.data.map((t: { target: string }) => t.target).sort()).toEqual([
        "10.0.0.1:8080",
        "10.0.0.2:8000",
      ]);
    });

    it("refuses a config with a bad entity with Kong's code 14, where it is, and changes nothing", async () => {
      const before = await api.call("GET", "/services");
      const bad = KONG_YML.replace("host: other.test", "host: other.test\n    port: 99999");
      const r = await api.call("POST", "/config", bad, { "content-type": "application/yaml" });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 14, name: "invalid declarative configuration" });
      expect(r.body.fields).toEqual({ services: [null, { port: "value should be between 0 and 65535" }] });
      expect(r.body.message).toBe(
        'declarative config is invalid: {services={null,{port="value should be between 0 and 65535"}}}',
      );
      expect((await api.call("GET", "/services")).body).toEqual(before.body);
    });

    it("names unresolved references and duplicates", async () => {
      const unknown = await api.call("POST", "/config", {
        _format_version: "3.0",
        routes: [{ name: "r", paths: ["/"], service: "nope" }],
      });
      expect(unknown.body.fields).toEqual({
        routes: [{ service: "invalid reference 'service: nope' (no such entry in 'services')" }],
      });
      const dup = await api.call("POST", "/config?flatten_errors=1", {
        _format_version: "3.0",
        services: [
          { name: "a", host: "a.test" },
          { name: "a", host: "b.test" },
        ],
      });
      expect(dup.status).toBe(400);
      expect(dup.body.flattened_errors[0].errors[0].message).toMatch(
        /^uniqueness violation: 'services' entity/,
      );
      const version = await api.call("POST", "/config", { services: [] });
      expect(version.body.fields).toEqual({ _format_version: "required field missing" });
      const yaml = await api.call("POST", "/config", "services: [", { "content-type": "application/yaml" });
      expect(yaml.status).toBe(400);
      expect(yaml.body.code).toBe(14);
    });

    it("exports a kong.yml that imports back to the same configuration", async () => {
      const exported = await api.call("GET", "/config");
      expect(exported.status).toBe(200);
      const doc = parseYaml(exported.body.config);
      expect(doc._format_version).toBe("3.0");
      expect(doc._transform).toBe(false);
      // as imported: arrays, a JSON column, nested JSON
      const route = doc.routes.find((r: { name: string }) => r.name === "example-route");
      expect(route.headers).toEqual({ "x-tenant": ["a", "b"] });
      expect(route.tags).toEqual(["edge", "with space"]);
      expect(route.paths).toEqual(["/example"]);
      expect(doc.upstreams[0].healthchecks.active.http_path).toBe("/status");
      const ids = (await api.call("GET", "/services")).body.data.map((s: { id: string }) => s.id).sort();
      const hash = (await api.call("GET", "/consumers/bob/basic-auth/bob")).body.password;
      const back = await api.call("POST", "/config", exported.body.config, {
        "content-type": "application/yaml",
      });
      expect(back.status, JSON.stringify(back.body)).toBe(201);
      expect((await api.call("GET", "/services")).body.data.map((s: { id: string }) => s.id).sort()).toEqual(
        ids,
      );
      expect((await api.call("GET", "/consumers/bob/basic-auth/bob")).body.password).toBe(hash);
      // every field of every entity as it was (arrays, JSON columns, nulls, creation times); an
      // import stamps the time it updated each entity
      const again = await api.call("GET", "/config");
      const stampless = (text: string) =>
        JSON.parse(JSON.stringify(parseYaml(text)), (k, v) => (k === "updated_at" ? undefined : v));
      expect(stampless(again.body.config)).toEqual(stampless(exported.body.config));
    });

    it("answers 304 to check_hash when the config is the one already loaded, and only then", async () => {
      const body = { _format_version: "3.0", services: [{ name: "same", host: "same.test" }] };
      expect((await api.call("POST", "/config?check_hash=1", body)).status).toBe(201);
      expect((await api.call("POST", "/config?check_hash=1", body)).status).toBe(304);
      expect((await api.call("DELETE", "/services/same")).status).toBe(204);
      expect((await api.call("POST", "/config?check_hash=1", body)).status).toBe(201);
      expect((await api.call("GET", "/services/same")).status).toBe(200);
    });

    it("names keys that would reach Object.prototype, and ids that are not UUIDs", async () => {
      const proto = await api.call("POST", "/config", '{"_format_version":"3.0","__proto__":{"x":1}}', {
        "content-type": "application/json",
      });
      expect(proto.status).toBe(400);
      expect(proto.body.fields).toEqual(JSON.parse('{"__proto__":"unknown field"}'));
      const id = await api.call("POST", "/config", {
        _format_version: "3.0",
        services: [{ id: 5, host: "x.test" }],
      });
      expect(id.body.fields).toEqual({ services: [{ id: "expected a valid UUID" }] });
    });

    it("refuses a file that repeats a composite key with code 14, changing nothing", async () => {
      const before = await api.call("GET", "/services");
      const r = await api.call("POST", "/config", {
        _format_version: "3.0",
        consumers: [{ username: "dup", acls: [{ group: "g" }, { group: "g" }] }],
      });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe(14);
      expect(r.body.fields.acls).toMatch(/^uniqueness violation: /);
      expect((await api.call("GET", "/services")).body).toEqual(before.body);
    });

    it("refuses a unique value too large for its Postgres index with a 400, changing nothing", async () => {
      const before = await api.call("GET", "/consumers");
      // hex of random bytes: named by its index under a page's 8 kB, not past it
      for (const bytes of [1500, 6000]) {
        const r = await api.call("POST", "/config", {
          _format_version: "3.0",
          consumers: [{ username: "big", custom_id: randomBytes(bytes).toString("hex") }],
        });
        expect(r.status).toBe(400);
        expect(r.body.message).toMatch(/too long to be kept unique/);
      }
      expect((await api.call("GET", "/consumers")).body).toEqual(before.body);
    });
  });
}
