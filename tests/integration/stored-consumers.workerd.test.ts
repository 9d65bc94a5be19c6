import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait";
import { pluginFixture } from "./plugin-fixture";

/**
 * A config with more consumers and credentials than `data_plane_consumers_in_memory` (1 here):
 * the DP node keeps them in its storage and isolates look up the ones requests name. The
 * authentication plugins must behave exactly as with the consumers in memory.
 */
describe("consumers and credentials kept in the DP node's storage", () => {
  const f = pluginFixture("stored-consumers", { KONG_DATA_PLANE_CONSUMERS_IN_MEMORY: "1" });
  const as = (key: string) => ({ headers: { apikey: key } });

  it("key-auth and acl find consumers, credentials and groups in the node's storage", async () => {
    expect((await f.admin("POST", "/consumers/ann/acls", { group: "staff" })).status).toBe(201);
    expect(
      (await f.admin("POST", "/routes/locked/plugins", { name: "acl", config: { allow: ["staff"] } })).status,
    ).toBe(201);
    expect((await f.admin("POST", "/routes/locked/plugins", { name: "key-auth" })).status).toBe(201);
    await f.eventually(401, "/locked/x");
    expect((await f.dp.nodeStatus()).consumers_stored).toBe(true);

    const ann = await f.get("/locked/x", as("ann-key"));
    expect(ann.status).toBe(200);
    const seen = f.upstream.seen.at(-1)?.headers ?? {};
    expect([seen["x-consumer-username"], seen["x-consumer-custom-id"], seen["x-consumer-groups"]]).toEqual([
      "ann",
      "c-1",
      "staff",
    ]);
    // a known key whose consumer is not in the group, an unknown key (asked twice: remembered)
    expect((await f.get("/locked/x", as("bob-key"))).status).toBe(403);
    for (let i = 0; i < 2; i++) {
      const bad = await f.get("/locked/x", as("nobody"));
      expect([bad.status, bad.json().message]).toEqual([401, "Unauthorized"]);
    }
  });

  it("a credential created or deleted later is found or refused with the next config", async () => {
    const created = await f.admin("POST", "/consumers/ann/key-auth", { key: "ann-second" });
    expect(created.status).toBe(201);
    await f.eventually(200, "/locked/x", as("ann-second"));
    expect((await f.admin("DELETE", `/consumers/ann/key-auth/${created.json.id}`)).status).toBe(204);
    await f.eventually(401, "/locked/x", as("ann-second"));
    expect((await f.get("/locked/x", as("ann-key"))).status).toBe(200);
  });

  it("anonymous names a stored consumer by username", async () => {
    expect(
      (await f.admin("POST", "/services/echo/routes", { name: "guest", paths: ["/guest"] })).status,
    ).toBe(201);
    expect(
      (await f.admin("POST", "/routes/guest/plugins", { name: "key-auth", config: { anonymous: "bob" } }))
        .status,
    ).toBe(201);
    const guest = await waitFor("the anonymous consumer", async () => {
      const r = await f.get("/guest/x");
      return r.status === 200 && f.upstream.seen.at(-1)?.headers["x-anonymous-consumer"] ? r : undefined;
    });
    expect(guest.status).toBe(200);
    expect(f.upstream.seen.at(-1)?.headers["x-consumer-username"]).toBe("bob");
  });
});
