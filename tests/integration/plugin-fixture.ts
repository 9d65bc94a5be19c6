import { afterAll, beforeAll, expect } from "vitest";
import type { LocalDp } from "../../cli/local-dp";
import type { ControlPlane } from "../../control-plane/node/control-plane";
import { type Hybrid, startHybrid } from "../helpers/hybrid";
import { startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/** A parsed JSON body, as loose as JSON.parse's. */
type Body = ReturnType<typeof JSON.parse>;

export type PluginFixture = {
  cp: ControlPlane;
  dp: LocalDp;
  upstream: Awaited<ReturnType<typeof startUpstream>>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Body }>;
  get(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string; json: () => Body }>;
  /**
   * The answer to a request once the DP's isolate has the CP's current config: isolates pick up a
   * new config off the request path, so the request is repeated until it gets `status`.
   */
  eventually(
    status: number,
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string; json: () => Body }>;
};

/**
 * For a plugin suite: a real CP (Admin API on the real Postgres) and a DP in workerd, an echoing
 * upstream behind service `echo` with routes `/open` and `/locked`, and consumers ann and bob with
 * the key-auth keys `ann-key` and `bob-key`.
 */
export function pluginFixture(name: string, dpBindings: Record<string, string> = {}): PluginFixture {
  let hybrid: Hybrid;
  const f = {} as PluginFixture;
  f.admin = async (method, path, body) => {
    const r = await fetch(`${f.cp.adminUrl}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, json: r.status === 204 ? null : await r.json() };
  };
  f.get = async (path, init) => {
    const r = await fetch(`${f.dp.url}${path}`, init);
    const text = await r.text();
    return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
  };
  f.eventually = async (status, path, init) => {
    await f.cp.publisher.schedule(); // a snapshot with every write so far
    return waitFor(`${path} to answer ${status}`, async () => {
      const r = await f.get(path, init);
      return r.status === status ? r : undefined;
    });
  };
  beforeAll(async () => {
    hybrid = await startHybrid(name, dpBindings);
    f.cp = hybrid.cp;
    f.dp = hybrid.dp;
    f.upstream = await startUpstream();
    const ok = async (method: string, path: string, body: unknown) =>
      expect((await f.admin(method, path, body)).status).toBe(201);
    await ok("POST", "/services", { name: "echo", url: f.upstream.url });
    await ok("POST", "/services/echo/routes", { name: "open", paths: ["/open"] });
    await ok("POST", "/services/echo/routes", { name: "locked", paths: ["/locked"] });
    await ok("POST", "/consumers", { username: "ann", custom_id: "c-1" });
    await ok("POST", "/consumers", { username: "bob" });
    await ok("POST", "/consumers/ann/key-auth", { key: "ann-key" });
    await ok("POST", "/consumers/bob/key-auth", { key: "bob-key" });
  });
  afterAll(async () => {
    await hybrid?.close();
    await f.upstream?.close();
  });
  return f;
}
