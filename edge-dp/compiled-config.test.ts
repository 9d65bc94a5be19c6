import { describe, expect, it } from "vitest";
import type { ExportedService } from "../shared/declarative/config";
import { compileConfig } from "./compiled-config";

const svc = (id: string, protocol: string, host: string, port: number) =>
  ({ id, protocol, host, port }) as ExportedService;

describe("compiled config", () => {
  it("resolves each service's origin once, IPv6 hosts included", () => {
    const c = compileConfig(
      { version: 1, epoch: "e", config_hash: "h", created_at: 1 },
      {
        _format_version: "3.0",
        _transform: false,
        services: [
          svc("a", "http", "example.com", 8080),
          svc("b", "https", "::1", 8443),
          svc("c", "http", "10.0.0.1", 80),
        ],
      },
    );
    expect(c.upstreams.get("a")).toEqual({ origin: "http://example.com:8080", host: "example.com:8080" });
    expect(c.upstreams.get("b")).toEqual({ origin: "https://[::1]:8443", host: "[::1]:8443" });
    expect(c.upstreams.get("c")).toEqual({ origin: "http://10.0.0.1", host: "10.0.0.1" });
  });
});
