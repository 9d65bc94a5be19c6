import { describe, expect, it } from "vitest";
import type { ExportedRoute, ExportedService } from "../../shared/declarative/config";
import { compileRouter } from "../../shared/router/kong-router";
import { upstreamPathV0 } from "../../shared/router/upstream-path";
import { escapePath, normalizePath } from "../../shared/util/path";
import vectors from "./kong/path-handling-v0.json";

/*
 * Kong's path-handling fixtures (spec/fixtures/router_path_handling_tests.lua), every v0 vector,
 * run as Kong's router spec runs them (spec/01-unit/08-router_spec.lua:4220 and, with each route
 * path turned into the regex `~/[0]?...`, :4270): the request path normalised, routed, and the
 * upstream path built from what matched.
 */

type Vector = {
  line: number;
  service_path: string;
  route_path: string | null;
  request_path: string;
  strip_path: boolean;
  expected_path: string;
};

function upstreamPath(v: Vector, routePath: string | null): string | undefined {
  const service = { id: "00000000-0000-4000-8000-000000000001", path: v.service_path } as ExportedService;
  const route = {
    id: "00000000-0000-4000-8000-000000000002",
    protocols: ["http"],
    hosts: routePath === null ? ["host.test"] : null,
    paths: routePath === null ? null : [routePath],
    methods: null,
    headers: null,
    snis: null,
    sources: null,
    destinations: null,
    regex_priority: 0,
    strip_path: v.strip_path,
    service: service.id,
  } as unknown as ExportedRoute;
  const router = compileRouter({
    _format_version: "3.0",
    _transform: false,
    services: [service],
    routes: [route],
  });
  const path = normalizePath(v.request_path);
  const match = router.match({
    method: "GET",
    host: "host.test",
    port: 80,
    path,
    scheme: "http",
    headers: { get: () => null },
  });
  if (!match) return undefined;
  return escapePath(
    upstreamPathV0({
      requestPath: path,
      matchedPath: match.matchedPath,
      stripPath: match.route.strip_path,
      servicePath: match.service?.path,
    }),
  );
}

const all = vectors as Vector[];
const title = (v: Vector) =>
  `${v.line}: service ${v.service_path}, route ${v.route_path ?? "(host)"}, strip ${v.strip_path}, ${v.request_path} -> ${v.expected_path}`;

describe("Kong's path_handling v0 fixtures, prefix routes", () => {
  it.each(all.map((v) => [title(v), v] as const))("%s", (_t, v) => {
    expect(upstreamPath(v, v.route_path)).toBe(v.expected_path);
  });
});

describe("Kong's path_handling v0 fixtures, the same routes as regexes", () => {
  const regexes = all.filter((v) => v.route_path !== null);
  it.each(regexes.map((v) => [title(v), v] as const))("%s", (_t, v) => {
    expect(upstreamPath(v, `~/[0]?${(v.route_path as string).slice(1)}`)).toBe(v.expected_path);
  });
});
