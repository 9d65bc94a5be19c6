import { describe, expect, it } from "vitest";
import { pluginRequest } from "../../../tests/helpers/plugin-request";
import type { DeclarativeConfig } from "../../declarative/config";
import { ConsumerIndex } from "../runtime/consumers";
import type { PluginEnvironment } from "../runtime/types";
import { keyAuth } from "./key-auth";

const ANN = "00000000-0000-4000-8000-00000000000a";
const ANONYMOUS = "00000000-0000-4000-8000-00000000000b";
const consumers = new ConsumerIndex({
  _format_version: "3.0",
  _transform: false,
  consumers: [
    { id: ANN, username: "ann" },
    { id: ANONYMOUS, username: "anonymous" },
  ],
  keyauth_credentials: [{ id: "00000000-0000-4000-8000-0000000000c1", key: "ann-key", consumer: ANN }],
} as unknown as DeclarativeConfig);
const env = { consumers } as unknown as PluginEnvironment;

const conf = (over: Record<string, unknown> = {}) =>
  ({
    key_names: ["apikey", "x-key"],
    hide_credentials: false,
    anonymous: null,
    key_in_header: true,
    key_in_query: true,
    key_in_body: true,
    run_on_preflight: true,
    realm: null,
    ...over,
  }) as never;

const request = (opts: { headers?: Record<string, string>; query?: string; body?: string }) =>
  pluginRequest({ method: "POST", ...opts });

describe("key-auth (kong/plugins/key-auth/handler.lua)", () => {
  it("finds the key in a header or the query at once, and sets Kong's consumer headers", () => {
    for (const req of [request({ headers: { apikey: "ann-key" } }), request({ query: "apikey=ann-key" })]) {
      const answer = keyAuth.access?.(req, conf(), env);
      expect(answer).toBeUndefined();
      expect(req.consumer?.username).toBe("ann");
      expect(req.upstreamHeaders.get("x-consumer-username")).toBe("ann");
    }
  });

  it("reads the body only when the headers and the query have no key, JSON or form, any key name", async () => {
    const json = request({
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ "x-key": "ann-key" }),
    });
    expect(await keyAuth.access?.(json, conf(), env)).toBeUndefined();
    expect(json.consumer?.username).toBe("ann");
    const form = request({
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "apikey=ann-key",
    });
    expect(await keyAuth.access?.(form, conf(), env)).toBeUndefined();
    expect(form.consumer?.username).toBe("ann");
    // a body value that is not a string is no key: the next name is tried, then Kong's 401
    const numeric = request({ headers: { "content-type": "application/json" }, body: '{"apikey": 7}' });
    expect(await keyAuth.access?.(numeric, conf(), env)).toMatchObject({
      status: 401,
      message: "No API key found in request",
    });
    expect(await keyAuth.access?.(request({}), conf({ key_in_body: false }), env)).toMatchObject({
      status: 401,
      message: "No API key found in request",
      headers: { "www-authenticate": "Key" },
    });
  });

  it("refuses a duplicate key and an unknown key; lets an unknown one in as the anonymous consumer", async () => {
    expect(keyAuth.access?.(request({ query: "apikey=a&apikey=b" }), conf(), env)).toMatchObject({
      status: 401,
      message: "Duplicate API key found",
    });
    expect(await keyAuth.access?.(request({ headers: { apikey: "nope" } }), conf(), env)).toMatchObject({
      status: 401,
      message: "Unauthorized",
    });
    const anon = request({ headers: { apikey: "nope" } });
    expect(await keyAuth.access?.(anon, conf({ anonymous: ANONYMOUS }), env)).toBeUndefined();
    expect(anon.upstreamHeaders.get("x-anonymous-consumer")).toBe("true");
  });

  it("takes the key out of the service's request with hide_credentials", () => {
    const req = request({ headers: { apikey: "ann-key" }, query: "apikey=ann-key&keep=1" });
    expect(keyAuth.access?.(req, conf({ hide_credentials: true }), env)).toBeUndefined();
    expect(req.upstreamHeaders.has("apikey")).toBe(false);
    expect(req.query.toString()).toBe("keep=1");
  });
});
