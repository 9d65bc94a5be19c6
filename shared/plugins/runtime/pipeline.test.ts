import { describe, expect, it } from "vitest";
import { keyAuthPlugin } from "../../../tests/helpers/config-builder";
import { pluginRequest } from "../../../tests/helpers/plugin-request";
import type { DeclarativeConfig, ExportedEntity } from "../../declarative/config";
import { ConsumerIndex } from "./consumers";
import { runAccess } from "./pipeline";
import { PluginScopes } from "./scopes";
import type { PluginEnvironment } from "./types";

const ANN = "00000000-0000-4000-8000-00000000000a";

const config = (plugins: Array<Record<string, unknown>>) =>
  ({
    _format_version: "3.0",
    _transform: false,
    consumers: [{ id: ANN, username: "ann" }],
    keyauth_credentials: [{ id: "00000000-0000-4000-8000-0000000000c1", key: "ann-key", consumer: ANN }],
    plugins: plugins.map((p, i) => ({
      id: `00000000-0000-4000-8000-00000000010${i}`,
      route: null,
      service: null,
      consumer: null,
      enabled: true,
      protocols: ["http", "https"],
      ...p,
    })) as unknown as ExportedEntity[],
  }) as DeclarativeConfig;

const KEY_AUTH = keyAuthPlugin("r").config;
const terminate = (message: string, trigger: string | null = null) => ({
  status_code: 403,
  message,
  content_type: null,
  body: null,
  echo: false,
  trigger,
});

const request = (headers: Record<string, string> = {}, routeId = "r") => pluginRequest({ headers, routeId });

const setup = (plugins: Array<Record<string, unknown>>) => {
  const c = config(plugins);
  const env = { consumers: new ConsumerIndex(c) } as unknown as PluginEnvironment;
  return { scopes: new PluginScopes(c), env };
};

describe("the access phase (Kong's plugin iterator)", () => {
  it("answers at once when every plugin that ran answered at once, and waits only for one that waits", async () => {
    const { scopes, env } = setup([
      { name: "correlation-id", config: { header_name: "x-id", generator: "uuid", echo_downstream: false } },
      { name: "request-termination", config: terminate("stop", "x-stop") },
    ]);
    const now = runAccess(request(), scopes, env);
    expect(now).not.toBeInstanceOf(Promise);
    expect((now as Awaited<typeof now>).exit).toBeUndefined();
    expect((now as Awaited<typeof now>).ran.map((r) => r.handler.name)).toEqual([
      "correlation-id",
      "request-termination",
    ]);
    const stopped = runAccess(request({ "x-stop": "1" }), scopes, env);
    expect(stopped).not.toBeInstanceOf(Promise);
    expect((stopped as Awaited<typeof stopped>).exit).toMatchObject({
      status: 403,
      json: { message: "stop" },
    });

    const keyed = setup([
      { name: "key-auth", route: "r", config: KEY_AUTH },
      { name: "request-termination", config: terminate("stop", "x-stop") },
    ]);
    // key-auth with the consumers in the isolate's memory answers at once too
    const known = runAccess(request({ apikey: "ann-key" }), keyed.scopes, keyed.env);
    expect(known).not.toBeInstanceOf(Promise);
    expect((known as Awaited<typeof known>).exit).toBeUndefined();
    // with them in the DP node's storage, it waits for the lookup
    const index = keyed.env.consumers;
    const stored = {
      ...keyed.env,
      consumers: {
        keyAuth: async (key: string) => index.keyAuth(key),
        consumer: async (id: string) => index.consumer(id),
      },
    } as unknown as PluginEnvironment;
    const waited = runAccess(request({ apikey: "ann-key", "x-stop": "1" }), keyed.scopes, stored);
    expect(waited).toBeInstanceOf(Promise);
    // the plugins after the one that waited still run, in Kong's order
    expect((await waited).exit).toMatchObject({ status: 403, json: { message: "stop" } });
    expect((await waited).ran.map((r) => r.handler.name)).toEqual(["key-auth", "request-termination"]);
  });

  it("selects a consumer's own configuration once key-auth has identified the consumer, on every request", async () => {
    const { scopes, env } = setup([
      { name: "key-auth", route: "r", config: KEY_AUTH },
      { name: "request-termination", consumer: ANN, config: terminate("ann is away") },
    ]);
    for (let i = 0; i < 3; i++) {
      const ann = await runAccess(request({ apikey: "ann-key" }), scopes, env);
      expect(ann.exit).toMatchObject({ status: 403, json: { message: "ann is away" } });
      const nobody = await runAccess(request(), scopes, env);
      expect(nobody.exit).toMatchObject({ status: 401, message: "No API key found in request" });
      // key-auth answered: request-termination's consumer configuration had no consumer to apply to
      expect(nobody.ran.map((r) => r.handler.name)).toEqual(["key-auth"]);
    }
    // another route has no key-auth, so no consumer: nothing runs
    expect(
      (runAccess(request({ apikey: "ann-key" }, "other"), scopes, env) as { ran: unknown[] }).ran,
    ).toEqual([]);
  });

  it("collects the plugins after an answer without running them (Kong's delayed response)", async () => {
    const { scopes, env } = setup([
      { name: "key-auth", route: "r", config: KEY_AUTH },
      // this environment has no counters: rate-limiting would throw if it ran
      { name: "rate-limiting", config: { second: 1, limit_by: "ip", policy: "local" } },
    ]);
    const access = await runAccess(request(), scopes, env);
    expect(access.exit).toMatchObject({ status: 401 });
    expect(access.ran.map((r) => r.handler.name)).toEqual(["key-auth", "rate-limiting"]);
  });

  it("takes a new config's plugins, not the steps worked out for the one before", () => {
    const before = setup([{ name: "request-termination", config: terminate("before") }]);
    expect((runAccess(request(), before.scopes, before.env) as { exit?: unknown }).exit).toMatchObject({
      json: { message: "before" },
    });
    const after = setup([{ name: "request-termination", route: "elsewhere", config: terminate("after") }]);
    expect((runAccess(request(), after.scopes, after.env) as { exit?: unknown }).exit).toBeUndefined();
  });
});
