import { describe, expect, it } from "vitest";
import { exportedRoute } from "../../tests/helpers/route-fixture";
import type { DeclarativeConfig, ExportedRoute, ExportedService } from "../declarative/config";
import { compileRouter } from "./kong-router";
import type { RouterRequest } from "./types";

let n = 0;
function route(fields: Partial<ExportedRoute>): ExportedRoute {
  n++;
  return exportedRoute(
    { id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, created_at: n, updated_at: n, ...fields },
    "11111111-1111-4111-8111-111111111111",
  );
}

const service = { id: "11111111-1111-4111-8111-111111111111", host: "upstream", port: 80 } as ExportedService;

function request(
  path: string,
  host = "example.com",
  method = "GET",
  headers: Record<string, string> = {},
): RouterRequest {
  return { method, host, port: 80, path, scheme: "http", headers: new Headers(headers) };
}

function router(routes: ExportedRoute[]) {
  const config: DeclarativeConfig = {
    _format_version: "3.0",
    _transform: false,
    services: [service],
    routes,
  };
  return compileRouter(config);
}

describe("simple router", () => {
  it("matches prefixes, longest first, and reports the matched path", () => {
    const short = route({ paths: ["/a"] });
    const long = route({ paths: ["/a/b"] });
    const r = router([short, long]);
    expect(r.match(request("/a/b/c"))).toMatchObject({ route: { id: long.id }, matchedPath: "/a/b" });
    expect(r.match(request("/a/x"))?.route.id).toBe(short.id);
    expect(r.match(request("/b"))).toBeUndefined();
  });

  it("matches hosts exactly, by leading or trailing wildcard, and with a port", () => {
    const exact = route({ hosts: ["api.example.com"] });
    const leading = route({ hosts: ["*.example.org"] });
    const trailing = route({ hosts: ["example.*"] });
    const withPort = route({ hosts: ["ported.test:8080"] });
    const r = router([exact, leading, trailing, withPort]);
    expect(r.match(request("/", "api.example.com"))?.route.id).toBe(exact.id);
    expect(r.match(request("/", "x.example.org"))?.route.id).toBe(leading.id);
    expect(r.match(request("/", "example.net"))?.route.id).toBe(trailing.id);
    expect(r.match(request("/", "example.org"))?.route.id).not.toBe(leading.id);
    expect(r.match(request("/", "ported.test"))).toBeUndefined();
    expect(r.match({ ...request("/", "ported.test"), port: 8080 })?.route.id).toBe(withPort.id);
  });

  it("filters by method and header, and prefers routes with more attributes", () => {
    const any = route({ paths: ["/m"] });
    const post = route({ paths: ["/m"], methods: ["POST"] });
    const header = route({ paths: ["/m"], headers: { "X-Version": ["v2"] } });
    const r = router([any, post, header]);
    expect(r.match(request("/m", "h", "POST"))?.route.id).toBe(post.id);
    expect(r.match(request("/m", "h", "GET", { "x-version": "V2" }))?.route.id).toBe(header.id);
    expect(r.match(request("/m"))?.route.id).toBe(any.id);
  });

  it("anchors regex paths at the start and honours regex_priority", () => {
    const low = route({ paths: ["~/users/\\d+"], regex_priority: 0 });
    const high = route({ paths: ["~/users/\\d+$"], regex_priority: 10 });
    const r = router([low, high]);
    expect(r.match(request("/users/42"))).toMatchObject({ route: { id: high.id }, matchedPath: "/users/42" });
    expect(r.match(request("/users/42/x"))?.route.id).toBe(low.id);
    expect(r.match(request("/v1/users/42"))).toBeUndefined();
  });

  it('applies snis to HTTPS requests only, as Kong\'s expression does (net.protocol != "https" || tls.sni ...), and leaves stream routes out', () => {
    const sni = route({ protocols: ["https"], snis: ["secure.test"] });
    const tcp = route({ protocols: ["tcp"], destinations: [{ port: 80 }] });
    const r = router([sni, tcp]);
    // over plain HTTP the route matches, and the proxy answers 426 for its https-only protocols
    expect(r.match(request("/anything", "secure.test"))?.route.id).toBe(sni.id);
    expect(r.match({ ...request("/", "secure.test"), scheme: "https" })?.route.id).toBe(sni.id);
    expect(r.match({ ...request("/", "other.test"), scheme: "https" })).toBeUndefined();
  });

  it("returns a serviceless route without a service", () => {
    const r = router([route({ paths: ["/none"], service: null })]);
    expect(r.match(request("/none"))).toMatchObject({ service: undefined });
  });
});

describe("the match cache", () => {
  it("answers as the routes do while far more distinct requests pass than it holds", () => {
    const a = route({ paths: ["/a"] });
    const b = route({ paths: ["/b"], headers: { "x-t": ["1"] } });
    const r = router([a, b]);
    const expected = (i: number) => (i % 3 === 0 ? a.id : i % 3 === 1 ? b.id : undefined);
    const ask = (i: number) => {
      const path = i % 3 === 0 ? `/a/${i % 7}` : i % 3 === 1 ? `/b/${i % 7}` : `/c/${i}`;
      return r.match(request(path, "example.com", "GET", i % 3 === 1 ? { "x-t": "1" } : {}))?.route.id;
    };
    // Kong's cache holds 5000 answers at this size: 30000 requests turn it over many times,
    // the few repeated ones among them answered from it
    for (let i = 0; i < 30_000; i++) expect(ask(i)).toBe(expected(i));
    // the same path without the header is another question, with another answer
    expect(r.match(request("/b/1"))?.route.id).toBeUndefined();
    expect(r.match(request("/b/1", "example.com", "GET", { "x-t": "1" }))?.route.id).toBe(b.id);
  });

  it("answers by every header a route reads when more header names than fields are in the key", () => {
    // twelve header names (x_h0 … x_h11, each also as x-hN): the values share one field of the key
    const routes = Array.from({ length: 12 }, (_, i) =>
      route({ paths: ["/h"], headers: { [`x_h${i}`]: ["v"] } }),
    );
    const r = router(routes);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 12; i++) {
        expect(r.match(request("/h", "example.com", "GET", { [`x-h${i}`]: "v" }))?.route.id).toBe(
          routes[i]?.id,
        );
        expect(r.match(request("/h", "example.com", "GET", { [`x-h${i}`]: "w" }))).toBeUndefined();
      }
      // values that would read the same run together: another question each
      expect(r.match(request("/h", "example.com", "GET", { "x-h0": "w", "x-h1": "v" }))?.route.id).toBe(
        routes[1]?.id,
      );
      expect(r.match(request("/h", "example.com", "GET", { "x-h0": "wv", "x-h1": "" }))).toBeUndefined();
      expect(r.match(request("/h"))).toBeUndefined();
    }
  });
});
