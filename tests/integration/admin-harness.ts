import type { Hono } from "hono";
import { afterAll, beforeAll } from "vitest";
import { createAdminApp } from "../../control-plane/admin/app";
import { DataPlaneStore } from "../../control-plane/cluster/data-planes";
import { createDaos } from "../../control-plane/dao";
import type { Database } from "../../control-plane/db/client";

export type AdminHarness = {
  app: Hono;
  commits: () => number;
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: a response body is whatever JSON the case expects; the assertions check its shape
  ): Promise<{ status: number; body: any; headers: Headers }>;
};

/** The Admin API app in-process over a real database. */
export function adminHarness(database: Database): AdminHarness {
  let commits = 0;
  const daos = createDaos(database.db, () => {
    commits++;
  });
  const app = createAdminApp({
    db: database.db,
    daos,
    dataPlanes: new DataPlaneStore(database.db, 1209600),
    nodeId: "00000000-0000-4000-8000-000000000001",
    hostname: "test",
    configuration: {},
    currentHash: () => undefined,
    log: () => {},
  });
  return {
    app,
    commits: () => commits,
    async call(method, path, body, headers = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === "string" ? body : JSON.stringify(body);
        if (typeof body !== "string")
          (init.headers as Record<string, string>)["content-type"] = "application/json";
      }
      const res = await app.request(path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

/**
 * The Admin API over a database opened for the enclosing `describe` (in its `beforeAll`) and dropped
 * after it; the harness returned delegates to it.
 */
export function useAdminApi(open: () => Promise<Database & { drop(): Promise<void> }>): AdminHarness {
  let db: (Database & { drop(): Promise<void> }) | undefined;
  let harness: AdminHarness | undefined;
  beforeAll(async () => {
    db = await open();
    harness = adminHarness(db);
  });
  afterAll(async () => {
    await db?.drop();
  });
  const current = () => {
    if (!harness) throw new Error("the Admin API opens in beforeAll");
    return harness;
  };
  return {
    get app() {
      return current().app;
    },
    commits: () => current().commits(),
    call: (...args) => current().call(...args),
  };
}
