import { describe, expect, it } from "vitest";
import { uuidV5, uuidV5Sync } from "./uuid-v5";

describe("uuidV5", () => {
  it("matches RFC 4122's DNS example", async () => {
    // python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    expect(await uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
  });
});

describe("uuidV5Sync", () => {
  it("gives the id Kong gives the first path group of a split route (kong/router/transform.lua)", () => {
    // python: uuid.uuid5(UUID("7f145bf9-0dce-4f91-98eb-debbce4b9f6b"), "e8fb37f1-...8101#1")
    expect(uuidV5Sync("7f145bf9-0dce-4f91-98eb-debbce4b9f6b", "e8fb37f1-102d-461e-9c51-6608a6bb8101#1")).toBe(
      "086b6591-cafa-58be-b2dd-7640f294421f",
    );
    expect(uuidV5Sync("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
  });
});
