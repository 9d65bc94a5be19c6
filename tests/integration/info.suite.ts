import { describe, expect, it } from "vitest";
import type { Database } from "../../control-plane/db/client";
import { useAdminApi } from "./admin-harness";

/** Kong's node endpoints: `/`, `/status`, `/endpoints`, `/schemas`, `/plugins/enabled`, `/tags` (02-kong_routes_spec.lua, 14-tags_spec.lua). */
export function infoSuite(label: string, open: () => Promise<Database & { drop(): Promise<void> }>) {
  describe(`node endpoints on ${label}`, () => {
    const api = useAdminApi(open);

    it("describes the node and its plugins", async () => {
      const r = await api.call("GET", "/");
      expect(r.body).toMatchObject({
        version: "3.10.0",
        tagline: "Welcome to kong",
        node_id: expect.any(String),
      });
      expect(r.body.plugins.available_on_server["key-auth"]).toEqual({ version: "3.10.0", priority: 1250 });
      expect((await api.call("GET", "/plugins/enabled")).body.enabled_plugins).toContain("rate-limiting");
    });

    it("reports a reachable database", async () => {
      const r = await api.call("GET", "/status");
      expect(r.body.database).toEqual({ reachable: true });
    });

    it("lists its endpoints in Kong's order", async () => {
      const r = await api.call("GET", "/endpoints");
      expect(r.body.data).toContain("/consumers/{parent}/key-auth");
      expect(r.body.data).toContain("/services/{key}");
      expect(r.body.data.indexOf("/plugins/enabled")).toBeLessThan(r.body.data.indexOf("/plugins/{key}"));
      expect(r.body.data.indexOf("/ca_certificates")).toBeLessThan(r.body.data.indexOf("/certificates"));
    });

    it("serves entity and plugin schemas, and validates against them", async () => {
      const services = await api.call("GET", "/schemas/services");
      expect(services.body.fields).toContainEqual({
        port: { type: "integer", required: true, default: 80, between: [0, 65535] },
      });
      expect((await api.call("GET", "/schemas/nope")).body).toEqual({ message: "No entity named 'nope'" });
      expect((await api.call("GET", "/schemas/consumers")).body.entity_checks).toEqual([
        { at_least_one_of: ["custom_id", "username"] },
      ]);
      const plugin = await api.call("GET", "/schemas/plugins/key-auth");
      const config = plugin.body.fields.find((f: Record<string, unknown>) => "config" in f).config;
      expect(config.fields).toContainEqual({
        hide_credentials: { type: "boolean", required: true, default: false },
      });
      expect((await api.call("GET", "/schemas/plugins/nope")).body).toEqual({
        message: "No plugin named 'nope'",
      });
      const ok = await api.call("POST", "/schemas/routes/validate", { paths: ["/x"] });
      expect(ok.body).toEqual({ message: "schema validation successful" });
      const bad = await api.call("POST", "/schemas/routes/validate", {
        snis: ["127.0.0.1"],
        protocols: ["https"],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.message).toBe("schema violation (snis.1: must not be an IP)");
      const plug = await api.call("POST", "/schemas/plugins/validate", {
        name: "cors",
        config: { max_age: "x" },
      });
      expect(plug.body.message).toBe("schema violation (config.max_age: expected a number)");
    });

    it("describes itself in OpenAPI 3.1, from the schemas that validate requests, with a docs page", async () => {
      const doc = (await api.call("GET", "/openapi.json")).body;
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/services",
          "/services/{key}",
          "/consumers/{parent}/key-auth",
          "/upstreams/{parent}/targets",
          "/config",
        ]),
      );
      expect(doc.paths["/targets"]).toBeUndefined();
      expect(doc.components.schemas.services.properties.port).toEqual({
        default: 80,
        type: "integer",
        minimum: 0,
        maximum: 65535,
      });
      expect(doc.components.schemas.routes.properties.protocols.items.enum).toContain("https");
      const page = await api.app.request("/docs");
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain("openapi.json");
    });

    it("indexes tags across entities (14-tags_spec.lua)", async () => {
      const s = await api.call("POST", "/services", { host: "t.test", tags: ["team-a", "prod"] });
      const c = await api.call("POST", "/consumers", { username: "tagged", tags: ["team-a"] });
      const all = await api.call("GET", "/tags");
      expect(all.body.data).toContainEqual({ entity_name: "services", entity_id: s.body.id, tag: "prod" });
      const teamA = await api.call("GET", "/tags/team-a");
      expect(teamA.body.data.map((d: { entity_name: string }) => d.entity_name).sort()).toEqual([
        "consumers",
        "services",
      ]);
      expect(teamA.body.data.find((d: { entity_id: string }) => d.entity_id === c.body.id)).toBeTruthy();
      const paged = await api.call("GET", "/tags?size=1");
      expect(paged.body.data).toHaveLength(1);
      const next = await api.call("GET", paged.body.next);
      expect(next.body.data[0]).not.toEqual(paged.body.data[0]);
    });
  });
}
