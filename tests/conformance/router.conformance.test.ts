import { describe, expect, it } from "vitest";
import type { ExportedRoute, ExportedService } from "../../shared/declarative/config";
import { compileRouter } from "../../shared/router/kong-router";
import type { RouterRequest } from "../../shared/router/types";
import { exportedRoute } from "../helpers/route-fixture";
import cases from "./kong/router-select.json";

/*
 * Kong's router spec (spec/01-unit/08-router_spec.lua), the traditional_compatible flavor: every
 * select() case, by the line of Kong's spec it comes from, against Lintel's router.
 */

type KongRoute = Partial<
  Pick<ExportedRoute, "methods" | "hosts" | "paths" | "headers" | "snis" | "regex_priority">
> & {
  id: string;
};
type KongRequest = {
  line: number;
  method: string;
  uri: string;
  host: string | null;
  scheme: string | null;
  sni: string | null;
  headers: Record<string, string | string[]> | null;
  expect: string | null;
  expect_captures?: null;
};

const SERVICE: ExportedService = {
  id: "00000000-0000-4000-8000-000000000001",
  name: "s",
  protocol: "http",
  host: "upstream.test",
  port: 80,
  path: null,
  retries: 5,
  connect_timeout: 60000,
  write_timeout: 60000,
  read_timeout: 60000,
  tags: null,
  client_certificate: null,
  tls_verify: null,
  tls_verify_depth: null,
  ca_certificates: null,
  enabled: true,
  created_at: 1,
  updated_at: 1,
} as unknown as ExportedService;

const exported = (r: KongRoute): ExportedRoute => exportedRoute(r, SERVICE.id);

/** Kong's request as select() gets it: a host with a port gives the port, without one there is none. */
function request(r: KongRequest): RouterRequest {
  const [host = "", port] = (r.host ?? "").split(":");
  const headers = Object.entries(r.headers ?? {});
  return {
    method: r.method,
    host,
    port: port === undefined ? 0 : Number(port),
    path: r.uri,
    scheme: r.scheme === "https" ? "https" : "http",
    sni: r.sni ?? undefined,
    headers: {
      // names without regard to case, `-` and `_` alike; repeated values as separate header lines
      get(name) {
        const wanted = name.toLowerCase().replaceAll("_", "-");
        const hit = headers.find(([k]) => k.toLowerCase().replaceAll("_", "-") === wanted);
        if (!hit) return null;
        return Array.isArray(hit[1]) ? hit[1].join(", ") : hit[1];
      },
    },
  };
}

describe("Kong's router spec, traditional_compatible (spec/01-unit/08-router_spec.lua)", () => {
  for (const group of cases as Array<{
    line: number;
    title: string;
    routes: KongRoute[];
    requests: KongRequest[];
  }>) {
    it(`${group.line}: ${group.title}`, () => {
      // a repeated id is one route: the last definition (as Kong keeps it)
      const routes = [...new Map(group.routes.map((r) => [r.id, exported(r)])).values()];
      const router = compileRouter({
        _format_version: "3.0",
        _transform: false,
        services: [SERVICE],
        routes,
      });
      for (const r of group.requests) {
        const match = router.match(request(r));
        expect(match?.route.id ?? null, `request at line ${r.line}`).toBe(r.expect);
        if ("expect_captures" in r && match)
          expect(match.captures, `captures at line ${r.line}`).toBeUndefined();
      }
    });
  }
});
