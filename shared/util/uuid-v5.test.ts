import { describe, expect, it } from "vitest";
import { declarativeId, uuidV5 } from "./uuid-v5";

describe("uuidV5", () => {
  it("matches RFC 4122's DNS example", () => {
    // python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe(
      "886313e1-3b8a-5372-9b90-0c9aee199e5d",
    );
  });

  it("gives the id Kong gives the first path group of a split route (kong/router/transform.lua)", () => {
    // python: uuid.uuid5(UUID("7f145bf9-0dce-4f91-98eb-debbce4b9f6b"), "e8fb37f1-...8101#1")
    expect(uuidV5("7f145bf9-0dce-4f91-98eb-debbce4b9f6b", "e8fb37f1-102d-461e-9c51-6608a6bb8101#1")).toBe(
      "086b6591-cafa-58be-b2dd-7640f294421f",
    );
  });
});

describe("declarativeId", () => {
  it("gives the ids Kong gives declarative entities by their key, for each entity's namespace", () => {
    // python: uuid.uuid5(uuid.uuid5(UUID("fd02801f-0957-4a15-a55a-c8d9606f30b5"), entity), key)
    expect(declarativeId("services", "example-service")).toBe("7a267194-6123-5ee0-a1c9-4c1559eb0d95");
    expect(declarativeId("consumers", "alice")).toBe("b32379d9-3d28-5683-a79c-72139be6e34f");
    // the namespaces are kept per entity: asked again, each gives the same
    expect(declarativeId("services", "example-service")).toBe("7a267194-6123-5ee0-a1c9-4c1559eb0d95");
  });
});
