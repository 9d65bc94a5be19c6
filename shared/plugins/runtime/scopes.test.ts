import { describe, expect, it } from "vitest";
import type { DeclarativeConfig, ExportedEntity } from "../../declarative/config";
import { PluginScopes } from "./scopes";

const plugin = (
  tag: string,
  scope: { route?: string; service?: string; consumer?: string },
  enabled = true,
) =>
  ({
    id: tag,
    name: "p",
    enabled,
    config: { tag },
    route: scope.route ?? null,
    service: scope.service ?? null,
    consumer: scope.consumer ?? null,
  }) as unknown as ExportedEntity;
const scopes = (...plugins: ExportedEntity[]) =>
  new PluginScopes({ _format_version: "3.0", _transform: false, plugins } as DeclarativeConfig);
const tag = (s: PluginScopes, route: string, service: string, consumer: string) =>
  (s.resolve("p", route, service, consumer)?.config as { tag: string } | undefined)?.tag;

describe("plugin scopes (Kong's precedence)", () => {
  const all = scopes(
    plugin("global", {}),
    plugin("service", { service: "s" }),
    plugin("route", { route: "r" }),
    plugin("consumer", { consumer: "c" }),
    plugin("route+service", { route: "r", service: "s" }),
    plugin("service+consumer", { service: "s", consumer: "c" }),
    plugin("route+consumer", { route: "r", consumer: "c" }),
    plugin("route+service+consumer", { route: "r", service: "s", consumer: "c" }),
  );

  it("takes the most specific configuration, in Kong's order", () => {
    expect(tag(all, "r", "s", "c")).toBe("route+service+consumer");
    expect(tag(all, "r", "other", "c")).toBe("route+consumer");
    expect(tag(all, "other", "s", "c")).toBe("service+consumer");
    expect(tag(all, "r", "s", "")).toBe("route+service");
    expect(tag(all, "other", "other", "c")).toBe("consumer");
    expect(tag(all, "r", "other", "")).toBe("route");
    expect(tag(all, "other", "s", "")).toBe("service");
    expect(tag(all, "other", "other", "")).toBe("global");
  });

  it("leaves out disabled plugins, and a consumer's configuration before there is a consumer", () => {
    const s = scopes(plugin("consumer", { consumer: "c" }), plugin("off", { route: "r" }, false));
    expect(tag(s, "r", "s", "")).toBeUndefined();
    expect(tag(s, "r", "s", "c")).toBe("consumer");
  });

  it("tells whether any plugin may run on a route: one on it, on its service or global, not one for a consumer alone", () => {
    const onRoute = scopes(plugin("route", { route: "r" }), plugin("consumer", { consumer: "c" }));
    expect(onRoute.mayRun("r", "s")).toBe(true);
    expect(onRoute.mayRun("other", "s")).toBe(false);
    expect(onRoute.mayRun("other", undefined)).toBe(false);
    const onService = scopes(
      plugin("route+service", { route: "r", service: "s" }),
      plugin("service", { service: "t" }),
    );
    expect(onService.mayRun("r", "x")).toBe(true);
    expect(onService.mayRun("q", "t")).toBe(true);
    expect(onService.mayRun("q", "s")).toBe(false);
    expect(scopes(plugin("global", {})).mayRun("any", undefined)).toBe(true);
    expect(scopes(plugin("off", { route: "r" }, false)).mayRun("r", "s")).toBe(false);
    expect(scopes().mayRun("r", "s")).toBe(false);
  });
});
