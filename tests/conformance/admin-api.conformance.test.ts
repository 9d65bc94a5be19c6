import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClusterCertificate } from "../../control-plane/node/gen-cert";
import { testCertificate } from "../helpers/ca";
import { freshPostgres } from "../helpers/postgres";
import { type AdminHarness, adminHarness } from "../integration/admin-harness";

/*
 * Admin API conformance: cases taken from Kong's own specs, each naming the spec file and lines it
 * comes from (Kong 3.10, spec/02-integration/04-admin_api unless a path says otherwise), run in order
 * against one database on the real Postgres server. `expect` is matched partially, `exact` wholly.
 */

type Case = {
  source: string;
  what: string;
  request: [method: string, path: string, body?: unknown, contentType?: string];
  status: number;
  expect?: Record<string, unknown>;
  exact?: unknown;
};

const SVC = "10-services_routes_spec.lua";
const RTE = "09-routes_routes_spec.lua";
const DB = "spec/02-integration/03-db/02-db_core_entities_spec.lua";

const CASES = (fx: { certPem: string; otherKey: string; leafPem: string }): Case[] => [
  {
    source: `${SVC}:53-75`,
    what: "creates a service with Kong's defaults",
    request: ["POST", "/services", { name: "s1", host: "example.test" }],
    status: 201,
    expect: { retries: 5, protocol: "http", port: 80, path: null, connect_timeout: 60000, enabled: true },
  },
  {
    source: `${SVC}:102-124`,
    what: "an https url sets port 443",
    request: ["POST", "/services", { name: "s-https", url: "https://service.test/" }],
    status: 201,
    expect: { protocol: "https", host: "service.test", port: 443, path: "/" },
  },
  {
    source: `${SVC}:858-865`,
    what: "malformed JSON",
    request: ["POST", "/services", "{bad", "application/json"],
    status: 400,
    exact: { message: "Cannot parse JSON body" },
  },
  {
    source: `${SVC}:867-892`,
    what: "a service without host",
    request: ["POST", "/services", {}],
    status: 400,
    exact: {
      code: 2,
      name: "schema violation",
      message: "schema violation (host: required field missing)",
      fields: { host: "required field missing" },
    },
  },
  {
    source: `${SVC}:894-920`,
    what: "an url that is no url",
    request: ["POST", "/services", { url: "invalid url" }],
    status: 400,
    exact: {
      code: 2,
      name: "schema violation",
      message: "2 schema violations (host: required field missing; path: should start with: /)",
      fields: { host: "required field missing", path: "should start with: /" },
    },
  },
  {
    source: `${SVC}:241-282`,
    what: "GET by name",
    request: ["GET", "/services/s1"],
    status: 200,
    expect: { name: "s1" },
  },
  {
    source: `${SVC}:241-282`,
    what: "GET of a missing service",
    request: ["GET", "/services/missing"],
    status: 404,
    exact: { message: "Not found" },
  },
  {
    source: `${SVC}:433-466`,
    what: "DELETE of an absent service",
    request: ["DELETE", "/services/absent"],
    status: 204,
  },
  {
    source: `${DB}:1464-1489`,
    what: "a duplicate name",
    request: ["POST", "/services", { name: "s1", host: "x.test" }],
    status: 409,
    exact: {
      code: 5,
      name: "unique constraint violation",
      message: `UNIQUE violation detected on '{name="s1"}'`,
      fields: { name: "s1" },
    },
  },
  { source: `${RTE}:53-66`, what: "OPTIONS on a collection", request: ["OPTIONS", "/routes"], status: 204 },
  {
    source: `${RTE}:128-154`,
    what: "a route with Kong's defaults",
    request: ["POST", "/services/s1/routes", { name: "r1", paths: ["/"] }],
    status: 201,
    expect: {
      protocols: ["http", "https"],
      https_redirect_status_code: 426,
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: "v0",
    },
  },
  {
    source: `${RTE}:316-331`,
    what: "an empty route",
    request: ["POST", "/routes", {}],
    status: 400,
    expect: {
      message:
        "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')",
    },
  },
  {
    source: `${RTE}:413-428`,
    what: "a route to a service name that does not exist",
    request: ["POST", "/routes", { paths: ["/x"], service: { name: "non-existing" } }],
    status: 400,
    expect: { code: 13, name: "foreign keys unresolved" },
  },
  {
    source: `${RTE}:544-563`,
    what: "a size that is not a number",
    request: ["GET", "/routes?size=x"],
    status: 400,
    exact: { code: 9, name: "invalid size", message: "size must be a number" },
  },
  {
    source: `${RTE}:565-584`,
    what: "an offset that is not one",
    request: ["GET", "/routes?offset=x"],
    status: 400,
    exact: { code: 7, name: "invalid offset", message: "'x' is not a valid offset: bad base64 encoding" },
  },
  {
    source: `${RTE}:600-616`,
    what: "DELETE on a collection",
    request: ["DELETE", "/routes"],
    status: 405,
    exact: { message: "Method not allowed" },
  },
  {
    source: `${RTE}:1322-1365`,
    what: "a route's service",
    request: ["GET", "/routes/r1/service"],
    status: 200,
    expect: { name: "s1" },
  },
  {
    source: `${RTE}:1506-1522`,
    what: "DELETE of a route's service",
    request: ["DELETE", "/routes/r1/service"],
    status: 405,
    exact: { message: "Method not allowed" },
  },
  {
    source: `${DB}:2048-2067`,
    what: "deleting a service that routes use",
    request: ["DELETE", "/services/s1"],
    status: 400,
    exact: {
      code: 4,
      name: "foreign key violation",
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { "@referenced_by": "routes" },
    },
  },
  {
    source: "03-consumers_routes_spec.lua:93",
    what: "a consumer without username or custom_id",
    request: ["POST", "/consumers", {}],
    status: 400,
    expect: {
      message: "schema violation (at least one of these fields must be non-empty: 'custom_id', 'username')",
    },
  },
  {
    source: "03-consumers_routes_spec.lua:944",
    what: "a plugin that is not enabled",
    request: ["POST", "/plugins", { name: "foo" }],
    status: 400,
    expect: { fields: { name: "plugin 'foo' not enabled; add it to the 'plugins' configuration property" } },
  },
  {
    source: "04-plugins_routes_spec.lua:351-377",
    what: "a plugin config that is not a record",
    request: ["POST", "/plugins", { name: "cors", config: "x" }],
    status: 400,
    expect: { message: "schema violation (config: expected a record)" },
  },
  {
    source: "06-certificates_routes_spec.lua:516-578",
    what: "a key that is not the certificate's",
    request: ["POST", "/certificates", { cert: fx.certPem, key: fx.otherKey }],
    status: 400,
    expect: { message: "schema violation (certificate does not match key)" },
  },
  {
    source: "16-ca_certificates_routes_spec.lua:98-140",
    what: "a CA certificate that is no CA",
    request: ["POST", "/ca_certificates", { cert: fx.leafPem }],
    status: 400,
    expect: {
      message:
        'schema violation (certificate does not appear to be a CA because it is missing the "CA" basic constraint)',
    },
  },
  {
    source: "07-upstreams_routes_spec.lua",
    what: "an upstream named by an IP",
    request: ["POST", "/upstreams", { name: "10.0.0.1" }],
    status: 400,
    expect: { fields: { name: "Invalid name ('10.0.0.1'); no ip addresses allowed" } },
  },
  {
    source: "07-upstreams_routes_spec.lua",
    what: "an upstream",
    request: ["POST", "/upstreams", { name: "u1" }],
    status: 201,
    expect: { algorithm: "round-robin", slots: 10000 },
  },
  {
    source: "08-targets_routes_spec.lua:176",
    what: "a target that is no host",
    request: ["POST", "/upstreams/u1/targets", { target: "a b" }],
    status: 400,
    expect: { fields: { target: "Invalid target ('a b'); not a valid hostname or ip address" } },
  },
  {
    source: "08-targets_routes_spec.lua",
    what: "a target gets port 8000",
    request: ["POST", "/upstreams/u1/targets", { target: "10.0.0.1" }],
    status: 201,
    expect: { target: "10.0.0.1:8000", weight: 100 },
  },
  {
    source: "08-targets_routes_spec.lua:211-236",
    what: "the same target twice",
    request: ["POST", "/upstreams/u1/targets", { target: "10.0.0.1:8000" }],
    status: 409,
  },
  {
    source: "08-targets_routes_spec.lua",
    what: "targets only under their upstream",
    request: ["GET", "/targets"],
    status: 404,
  },
  {
    source: "02-kong_routes_spec.lua:443-451",
    what: "the schema of an unknown entity",
    request: ["GET", "/schemas/x"],
    status: 404,
    exact: { message: "No entity named 'x'" },
  },
  {
    source: "02-kong_routes_spec.lua:575-596",
    what: "validating an SNI that is an IP",
    request: ["POST", "/schemas/routes/validate", { snis: ["127.0.0.1"], protocols: ["https"] }],
    status: 400,
    exact: {
      code: 2,
      name: "schema violation",
      message: "schema violation (snis.1: must not be an IP)",
      fields: { snis: ["must not be an IP"] },
    },
  },
  {
    source: "02-kong_routes_spec.lua:550-573",
    what: "validating a valid route",
    request: ["POST", "/schemas/routes/validate", { paths: ["/"] }],
    status: 200,
    exact: { message: "schema validation successful" },
  },
];

describe("Admin API conformance with Kong's specs", () => {
  let db: Awaited<ReturnType<typeof freshPostgres>>;
  let api: AdminHarness;
  let cases: Case[];
  beforeAll(async () => {
    db = await freshPostgres();
    api = adminHarness(db);
    const [pair, other, leafPem] = [
      await createClusterCertificate(),
      await createClusterCertificate(),
      await testCertificate({ ca: false }),
    ];
    cases = CASES({ certPem: pair.certPem, otherKey: other.keyPem, leafPem });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("answers every case as Kong's spec expects, in order", async () => {
    for (const c of cases) {
      const [method, path, body, type] = c.request;
      const r = await api.call(method, path, body, type ? { "content-type": type } : {});
      const label = `${c.source}: ${c.what} (${method} ${path}) -> ${r.status} ${JSON.stringify(r.body)}`;
      expect(r.status, label).toBe(c.status);
      if (c.exact !== undefined) expect(r.body, label).toEqual(c.exact);
      if (c.expect !== undefined) expect(r.body, label).toMatchObject(c.expect);
    }
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
});
