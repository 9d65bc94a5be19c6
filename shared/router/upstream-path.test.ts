import { describe, expect, it } from "vitest";
import { normalizePath } from "../util/path";
import { upstreamPathV0 } from "./upstream-path";

/*
 * The `path_handling = "v0"` rows of Kong's spec/fixtures/router_path_handling_tests.lua, by row
 * number there: [service_path, route_path, strip_path (both when undefined), request_path, expected].
 * Rows 78-95 (a stripped prefix followed by dot segments) come with the complete router.
 */
type Row = [number, string, string | null, boolean | undefined, string, string];
const ROWS: Row[] = [
  [1, "/", "/", undefined, "/", "/"],
  [2, "/", "/", undefined, "/route", "/route"],
  [3, "/", "/", undefined, "/route/", "/route/"],
  [4, "/", "/", undefined, "/routereq", "/routereq"],
  [5, "/", "/", undefined, "/route/req", "/route/req"],
  [6, "/", "/route", false, "/route", "/route"],
  [7, "/", "/route", false, "/route/", "/route/"],
  [8, "/", "/route", false, "/routereq", "/routereq"],
  [9, "/", "/route", true, "/route", "/"],
  [10, "/", "/route", true, "/route/", "/"],
  [11, "/", "/route", true, "/routereq", "/req"],
  [12, "/", "/route/", false, "/route/", "/route/"],
  [13, "/", "/route/", false, "/route/req", "/route/req"],
  [14, "/", "/route/", true, "/route/", "/"],
  [15, "/", "/route/", true, "/route/req", "/req"],
  [16, "/srv", "/rou", false, "/roureq", "/srv/roureq"],
  [18, "/srv", "/rou", true, "/roureq", "/srv/req"],
  [20, "/srv/", "/rou", false, "/rou", "/srv/rou"],
  [21, "/srv/", "/rou", true, "/rou", "/srv"],
  [23, "/service", "/", undefined, "/", "/service"],
  [24, "/service", "/", undefined, "/route", "/service/route"],
  [26, "/service", "/", undefined, "/route/", "/service/route/"],
  [28, "/service", "/", undefined, "/routereq", "/service/routereq"],
  [30, "/service", "/", undefined, "/route/req", "/service/route/req"],
  [32, "/service", "/route", false, "/route", "/service/route"],
  [34, "/service", "/route", false, "/route/", "/service/route/"],
  [36, "/service", "/route", false, "/routereq", "/service/routereq"],
  [38, "/service", "/route", true, "/route", "/service"],
  [39, "/service", "/route", true, "/route/", "/service/"],
  [40, "/service", "/route", true, "/routereq", "/service/req"],
  [42, "/service", "/route/", false, "/route/", "/service/route/"],
  [44, "/service", "/route/", false, "/route/req", "/service/route/req"],
  [46, "/service", "/route/", true, "/route/", "/service/"],
  [48, "/service", "/route/", true, "/route/req", "/service/req"],
  [50, "/service/", "/", undefined, "/route/", "/service/route/"],
  [52, "/service/", "/", undefined, "/", "/service/"],
  [53, "/service/", "/", undefined, "/route", "/service/route"],
  [54, "/service/", "/", undefined, "/routereq", "/service/routereq"],
  [55, "/service/", "/", undefined, "/route/req", "/service/route/req"],
  [56, "/service/", "/route", false, "/route", "/service/route"],
  [57, "/service/", "/route", false, "/route/", "/service/route/"],
  [58, "/service/", "/route", false, "/routereq", "/service/routereq"],
  [59, "/service/", "/route", true, "/route", "/service"],
  [61, "/service/", "/route", true, "/route/", "/service/"],
  [62, "/service/", "/route", true, "/routereq", "/service/req"],
  [63, "/service/", "/route/", false, "/route/", "/service/route/"],
  [64, "/service/", "/route/", false, "/route/req", "/service/route/req"],
  [65, "/service/", "/route/", true, "/route/", "/service/"],
  [66, "/service/", "/route/", true, "/route/req", "/service/req"],
  [67, "/", null, undefined, "/", "/"],
  [68, "/", null, undefined, "/route", "/route"],
  [69, "/", null, undefined, "/route/", "/route/"],
  [70, "/service", null, undefined, "/", "/service"],
  [71, "/service", null, undefined, "/route", "/service/route"],
  [73, "/service", null, undefined, "/route/", "/service/route/"],
  [75, "/service/", null, undefined, "/", "/service/"],
  [76, "/service/", null, undefined, "/route", "/service/route"],
  [77, "/service/", null, undefined, "/route/", "/service/route/"],
  [96, "/service", "/route", false, "/route./req", "/service/route./req"],
  [98, "/service/", "/route", false, "/route./req", "/service/route./req"],
  [99, "/service", "/route", false, "/route%2E/req", "/service/route./req"],
  [101, "/service/", "/route", false, "/route%2E/req", "/service/route./req"],
  [102, "/service", "/route", false, "/route%2e/req", "/service/route./req"],
  [105, "/service", "/route", false, "/route../req", "/service/route../req"],
  [108, "/service", "/route", false, "/route%2E%2E/req", "/service/route../req"],
  [111, "/service", "/route", false, "/route%2e%2E/req", "/service/route../req"],
];

describe("upstream path, path_handling v0 (Kong's router_path_handling_tests.lua)", () => {
  const cases = ROWS.flatMap(([row, service, route, strip, request, expected]) =>
    (strip === undefined ? [false, true] : [strip]).map((s) => ({
      row,
      service,
      route,
      strip: s,
      request,
      expected,
    })),
  );
  it.each(cases)("row $row: service $service, route $route, strip $strip, $request -> $expected", (c) => {
    const requestPath = normalizePath(c.request);
    const matchedPath = c.route !== null && requestPath.startsWith(c.route) ? c.route : undefined;
    if (c.route !== null) expect(matchedPath).toBe(c.route);
    expect(upstreamPathV0({ requestPath, matchedPath, stripPath: c.strip, servicePath: c.service })).toBe(
      c.expected,
    );
  });
});
