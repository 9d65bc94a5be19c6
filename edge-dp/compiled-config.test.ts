import { describe, expect, it } from "vitest";
import type { ExportedEntity, ExportedService } from "../shared/declarative/config";
import { compileConfig } from "./compiled-config";

const svc = (id: string, protocol: string, host: string, port: number) =>
  ({ id, protocol, host, port }) as ExportedService;

describe("compiled config", () => {
  it("sends a service to its host, or through the balancer of the upstream its host names", () => {
    const c = compileConfig(
      { version: 1, epoch: "e", config_hash: "h", created_at: 1 },
      {
        _format_version: "3.0",
        _transform: false,
        services: [
          svc("a", "http", "example.com", 8080),
          svc("b", "https", "::1", 8443),
          svc("c", "http", "backend", 80),
          svc("d", "grpc", "example.com", 9000),
        ],
        upstreams: [
          {
            id: "u",
            name: "backend",
            algorithm: "round-robin",
            hash_on: "none",
            hash_fallback: "none",
            slots: 10000,
          },
        ] as unknown as ExportedEntity[],
        targets: [
          { id: "t1", target: "10.0.0.1:8080", weight: 100, upstream: "u" },
          { id: "t2", target: "[::2]", weight: 0, upstream: "u" },
        ] as unknown as ExportedEntity[],
      },
    );
    expect(c.services.get("a")).toEqual({ kind: "direct", scheme: "http", host: "example.com", port: 8080 });
    expect(c.services.get("b")).toEqual({ kind: "direct", scheme: "https", host: "::1", port: 8443 });
    const balanced = c.services.get("c");
    expect(balanced?.kind === "balancer" && balanced.balancer.addresses).toEqual([
      { targetId: "t1", host: "10.0.0.1", port: 8080, weight: 100, available: true },
    ]);
    expect(c.services.has("d")).toBe(false);
  });
});
