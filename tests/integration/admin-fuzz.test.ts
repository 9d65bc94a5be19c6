import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshPglite } from "../helpers/postgres";
import { type AdminHarness, adminHarness } from "./admin-harness";

/**
 * Generated bad input over every Admin API endpoint: whatever arrives, the answer is never a 5xx,
 * and a request answered with an error writes nothing.
 */
describe("Admin API under generated input", () => {
  let db: Awaited<ReturnType<typeof freshPglite>>;
  let api: AdminHarness;

  beforeAll(async () => {
    db = await freshPglite();
    api = adminHarness(db);
    await api.call("POST", "/services", { name: "fuzz-svc", host: "fuzz.test" });
    await api.call("POST", "/services/fuzz-svc/routes", { name: "fuzz-route", paths: ["/f"] });
    await api.call("POST", "/consumers", { username: "fuzz-c" });
    await api.call("POST", "/upstreams", { name: "fuzz-u" });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const segment = fc.oneof(
    fc.constantFrom(
      "fuzz-svc",
      "fuzz-route",
      "%25",
      "%E0%A4%A",
      "..",
      "00000000-0000-0000-0000-000000000000",
      // a NUL, which Postgres' text cannot hold
      "a%00b",
    ),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.uuid(),
  );
  const collections = [
    "services",
    "routes",
    "consumers",
    "plugins",
    "upstreams",
    "certificates",
    "snis",
    "ca_certificates",
    "key-auths",
    "basic-auths",
    "jwts",
    "acls",
  ];
  const nestedPaths = [
    "/consumers/fuzz-c/key-auth",
    "/consumers/fuzz-c/basic-auth",
    "/consumers/fuzz-c/jwt",
    "/consumers/fuzz-c/acls",
    "/consumers/fuzz-c/plugins",
    "/services/fuzz-svc/plugins",
    "/routes/fuzz-route/plugins",
    "/upstreams/fuzz-u/targets",
    "/certificates/x/snis",
  ];
  const path = fc.oneof(
    fc.constantFrom(
      "/services",
      "/routes",
      "/clustering/data-planes",
      "/",
      "/nope",
      "/plugins/enabled",
      "/targets",
      "/config",
      "/tags",
      "/status",
      "/endpoints",
      "/schemas/services",
      "/schemas/plugins/cors",
      "/schemas/routes/validate",
      "/schemas/plugins/validate",
      "/openapi.json",
    ),
    segment.map((s) => `/tags/${s}`),
    segment.map((s) => `/schemas/${s}`),
    fc.constantFrom(...collections).map((c) => `/${c}`),
    fc.tuple(fc.constantFrom(...collections), segment).map(([c, s]) => `/${c}/${s}`),
    fc.constantFrom(...nestedPaths),
    fc.tuple(fc.constantFrom(...nestedPaths), segment).map(([p, s]) => `${p}/${s}`),
    segment.map((s) => `/services/${s}`),
    segment.map((s) => `/routes/${s}`),
    segment.map((s) => `/services/${s}/routes`),
    fc.tuple(segment, segment).map(([a, b]) => `/services/${a}/routes/${b}`),
    segment.map((s) => `/routes/${s}/service`),
    fc.constantFrom(`/services/${"x".repeat(5000)}`),
  );
  const query = fc.oneof(
    fc.constant(""),
    fc.string({ maxLength: 20 }).map((s) => `?size=${encodeURIComponent(s)}`),
    fc.string({ maxLength: 40 }).map((s) => `?offset=${encodeURIComponent(s)}`),
    fc.string({ maxLength: 40 }).map((s) => `?tags=${encodeURIComponent(s)}`),
    fc.base64String({ maxLength: 40 }).map((s) => `?offset=${encodeURIComponent(s)}`),
    fc.constantFrom("?tags=a%00b", "?custom_id=a%00b", "?offset=a%00b", "?size=1%00"),
  );
  const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constant("a\u0000b"));
  const entityish = fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        "name",
        "host",
        "port",
        "path",
        "url",
        "protocol",
        "retries",
        "paths",
        "hosts",
        "methods",
        "headers",
        "service",
        "protocols",
        "snis",
        "sources",
        "tags",
        "id",
        "strip_path",
        "regex_priority",
        "created_at",
        "__proto__",
        "constructor",
      ),
      fc.string({ maxLength: 10 }),
    ),
    jsonValue,
    { maxKeys: 6 },
  );
  const body = fc.oneof(
    entityish.map((o) => ({ text: JSON.stringify(o), type: "application/json" })),
    jsonValue.map((v) => ({ text: JSON.stringify(v), type: "application/json" })),
    fc.string({ maxLength: 200 }).map((t) => ({ text: t, type: "application/json" })),
    fc.string({ maxLength: 200 }).map((t) => ({ text: t, type: "application/x-www-form-urlencoded" })),
    fc.string({ maxLength: 200 }).map((t) => ({ text: t, type: "multipart/form-data; boundary=b" })),
    fc.string({ maxLength: 100 }).map((t) => ({ text: t, type: "text/plain" })),
    fc.constant({ text: "", type: "application/json" }),
  );
  const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");

  it("never answers 5xx, and writes nothing when it answers an error", async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, body, async (m, p, q, b) => {
        const before = api.commits();
        const withBody = m === "POST" || m === "PUT" || m === "PATCH";
        const r = await api.call(
          m,
          `${p}${q}`,
          withBody ? b.text : undefined,
          withBody ? { "content-type": b.type } : {},
        );
        expect(r.status, `${m} ${p}${q} ${withBody ? b.text : ""} -> ${JSON.stringify(r.body)}`).toBeLessThan(
          500,
        );
        if (r.status >= 400) expect(api.commits()).toBe(before);
      }),
      { numRuns: 3000 },
    );
  });

  it("answers a NUL character (which Postgres' text cannot hold) with Kong's 400, wherever it is", async () => {
    const cases: Array<[string, string, unknown?]> = [
      ["GET", "/consumers/a%00b"],
      ["GET", "/consumers?custom_id=a%00b"],
      ["GET", "/tags/a%00b"],
      ["GET", "/services?tags=a%00b"],
      ["PUT", "/consumers/a%00b", { custom_id: "x" }],
      ["DELETE", "/services/a%00b"],
      ["POST", "/consumers", { username: "a\u0000b" }],
      ["POST", "/config", { _format_version: "3.0", consumers: [{ username: "a", custom_id: "a\u0000b" }] }],
    ];
    for (const [m, p, b] of cases) {
      const before = api.commits();
      const r = await api.call(m, p, b);
      expect(r.status, `${m} ${p} -> ${JSON.stringify(r.body)}`).toBe(400);
      // a `?tags=` filter names what a tag may hold instead
      expect(JSON.stringify(r.body)).toMatch(/must not contain the NUL character|printable ascii/);
      expect(api.commits()).toBe(before);
    }
  });

  it("never answers 5xx to plugin configs, whatever they hold", async () => {
    const names = fc.constantFrom(
      "key-auth",
      "basic-auth",
      "jwt",
      "acl",
      "cors",
      "rate-limiting",
      "ip-restriction",
      "request-termination",
      "correlation-id",
      "request-size-limiting",
      "bot-detection",
      "prometheus",
      "request-transformer",
      "response-transformer",
      "proxy-cache",
      "http-log",
    );
    const config = fc.dictionary(fc.string({ maxLength: 24 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(
        names,
        fc.oneof(config, fc.jsonValue()),
        fc.constantFrom("POST", "PUT"),
        async (name, cfg, m) => {
          const before = api.commits();
          const r =
            m === "POST"
              ? await api.call("POST", "/plugins", { name, config: cfg })
              : await api.call("PUT", `/plugins/${crypto.randomUUID()}`, { name, config: cfg });
          expect(r.status, `${name} ${JSON.stringify(cfg)} -> ${JSON.stringify(r.body)}`).toBeLessThan(500);
          if (r.status >= 400) expect(api.commits()).toBe(before);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
