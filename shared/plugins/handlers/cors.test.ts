import { describe, expect, it } from "vitest";
import { pluginRequest } from "../../../tests/helpers/plugin-request";
import { cors } from "./cors";

const request = (method: string, headers: Record<string, string>) => pluginRequest({ method, headers });
const conf = (over: Record<string, unknown> = {}) =>
  ({
    origins: null,
    headers: null,
    exposed_headers: null,
    methods: ["GET", "POST"],
    max_age: null,
    credentials: false,
    private_network: false,
    preflight_continue: false,
    ...over,
  }) as never;
const env = {} as never;

describe("cors (kong/plugins/cors/handler.lua)", () => {
  it("answers a preflight itself, echoing the requested headers", () => {
    const exit = cors.access?.(
      request("OPTIONS", {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-a",
      }),
      conf({ max_age: 600 }),
      env,
    );
    expect(exit).toEqual({
      status: 200,
      headers: {
        "access-control-allow-origin": "*",
        "access-control-allow-headers": "x-a",
        "access-control-allow-methods": "GET,POST",
        "access-control-max-age": "600",
      },
    });
  });

  it("allows listed origins by name or regex, with Vary: Origin, and nothing for the others", () => {
    const c = conf({
      origins: ["https://a.example", "(.*)\\.trusted\\.example"],
      credentials: true,
      exposed_headers: ["x-b"],
    });
    const headersFor = (origin: string) => {
      const h = new Headers();
      cors.headerFilter?.(request("GET", { origin }), c, h, 200);
      return h;
    };
    const a = headersFor("https://a.example:443");
    expect([
      a.get("access-control-allow-origin"),
      a.get("vary"),
      a.get("access-control-allow-credentials"),
    ]).toEqual(["https://a.example", "Origin", "true"]);
    expect(a.get("access-control-expose-headers")).toBe("x-b");
    expect(headersFor("http://api.trusted.example").get("access-control-allow-origin")).toBe(
      "http://api.trusted.example",
    );
    expect(headersFor("https://evil.example").get("access-control-allow-origin")).toBeNull();
  });

  it("with credentials and every origin allowed, reflects the origin instead of *", () => {
    const h = new Headers();
    cors.headerFilter?.(request("GET", { origin: "https://x.example" }), conf({ credentials: true }), h, 200);
    expect(h.get("access-control-allow-origin")).toBe("https://x.example");
    expect(h.get("access-control-allow-credentials")).toBe("true");
  });
});
