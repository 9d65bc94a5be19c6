import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportConfig } from "../../control-plane/cluster/export";
import { createDaos } from "../../control-plane/dao";
import { calculateConfigHash } from "../../shared/hash/config-hash";
import { freshPglite } from "../helpers/postgres";
import { adminHarness } from "./admin-harness";

/** What the data planes receive: Kong's export of every entity, minus what is disabled. */
describe("config export", () => {
  let db: Awaited<ReturnType<typeof freshPglite>>;
  beforeAll(async () => {
    db = await freshPglite();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("exports every entity with foreign keys as ids, leaving out what is disabled (export.lua:175)", async () => {
    const api = adminHarness(db);
    const on = (await api.call("POST", "/services", { name: "on", host: "on.test" })).body;
    const off = (await api.call("POST", "/services", { name: "off", host: "off.test", enabled: false })).body;
    const onRoute = (await api.call("POST", "/services/on/routes", { paths: ["/on"] })).body;
    await api.call("POST", "/services/off/routes", { paths: ["/off"] });
    await api.call("POST", "/services/off/plugins", { name: "cors" });
    const bob = (await api.call("POST", "/consumers", { username: "bob" })).body;
    await api.call("POST", "/consumers/bob/key-auth", { key: "k" });
    await api.call("POST", "/plugins", { name: "correlation-id", enabled: false });
    const kept = (await api.call("POST", "/services/on/plugins", { name: "key-auth" })).body;

    const { version, config } = await exportConfig(
      db.db,
      createDaos(db.db, () => {}),
    );
    expect(version).toBeGreaterThan(0);
    expect(config.services?.map((s) => s.id)).toEqual([on.id]);
    expect(config.services?.some((s) => s.id === off.id)).toBe(false);
    expect(config.routes?.map((r) => r.id)).toEqual([onRoute.id]);
    expect(config.routes?.[0]?.service).toBe(on.id);
    expect(config.plugins?.map((p) => p.id)).toEqual([kept.id]);
    expect(config.plugins?.[0]?.service).toBe(on.id);
    expect(config.keyauth_credentials?.[0]).toMatchObject({ key: "k", consumer: bob.id });
    expect(config.consumers?.[0]?.username).toBe("bob");
    expect(config.upstreams).toBeUndefined();
    expect(calculateConfigHash(config).config).toMatch(/^[0-9a-f]{32}$/);
  });
});
