import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigVersion } from "../../control-plane/cluster/export";
import { freshPostgres } from "../helpers/postgres";
import { type AdminHarness, adminHarness } from "./admin-harness";

/**
 * Two control plane nodes on one database (Kong allows it): concurrent writes through both keep
 * uniqueness and lose nothing, and every committed write bumps the shared config version.
 */
describe("two control planes on one Postgres database", () => {
  let pg: Awaited<ReturnType<typeof freshPostgres>>;
  let second: Awaited<ReturnType<typeof freshPostgres>>["close"];
  let a: AdminHarness;
  let b: AdminHarness;

  beforeAll(async () => {
    pg = await freshPostgres();
    const { openPostgres } = await import("../../control-plane/db/client");
    const other = openPostgres({ connectionString: pg.url });
    second = other.close;
    a = adminHarness(pg);
    b = adminHarness(other);
  });
  afterAll(async () => {
    await second?.();
    await pg?.drop();
  });

  it("lets exactly one of two racing creates of the same name win, and loses none of the others", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `svc-${i}`);
    const results = await Promise.all(
      names.flatMap((name) => [
        a.call("POST", "/services", { name, host: "a.test" }),
        b.call("POST", "/services", { name, host: "b.test" }),
      ]),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(names.length);
    expect(statuses.filter((s) => s === 409)).toHaveLength(names.length);
    const all = await a.call("GET", "/services?size=1000");
    expect(all.body.data.map((s: { name: string }) => s.name).sort()).toEqual([...names].sort());
    // each commit bumped the one shared version row, none lost to the race
    expect(a.commits() + b.commits()).toBe(names.length);
    expect(await readConfigVersion(pg.db)).toBe(names.length);
  });

  it("keeps composite uniqueness under concurrency (a consumer's ACL group)", async () => {
    await a.call("POST", "/consumers", { username: "racer" });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).call("POST", "/consumers/racer/acls", { group: "g" }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
  });
});
