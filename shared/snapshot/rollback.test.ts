import { describe, expect, it } from "vitest";
import { isStale, NO_EPOCH } from "./rollback";

const E1 = "11111111-1111-4111-8111-111111111111";
const E2 = "22222222-2222-4222-8222-222222222222";

describe("isStale (rollback protection)", () => {
  it("refuses a lower version of the same epoch, takes an equal or higher one", () => {
    expect(isStale({ epoch: E1, version: 4, created_at: 9 }, { epoch: E1, version: 5, created_at: 1 })).toBe(
      true,
    );
    expect(isStale({ epoch: E1, version: 5, created_at: 1 }, { epoch: E1, version: 5, created_at: 9 })).toBe(
      false,
    );
    expect(isStale({ epoch: E1, version: 6, created_at: 1 }, { epoch: E1, version: 5, created_at: 9 })).toBe(
      false,
    );
  });

  it("takes another epoch only when it was made later", () => {
    expect(isStale({ epoch: E2, version: 1, created_at: 10 }, { epoch: E1, version: 9, created_at: 9 })).toBe(
      false,
    );
    expect(isStale({ epoch: E2, version: 99, created_at: 9 }, { epoch: E1, version: 9, created_at: 9 })).toBe(
      true,
    );
    expect(isStale({ epoch: E2, version: 99, created_at: 8 }, { epoch: E1, version: 9, created_at: 9 })).toBe(
      true,
    );
  });

  it("lets the first write's epoch replace a never-written database's empty config made in the same millisecond", () => {
    expect(
      isStale({ epoch: E1, version: 1, created_at: 5 }, { epoch: NO_EPOCH, version: 0, created_at: 5 }),
    ).toBe(false);
    expect(
      isStale({ epoch: E1, version: 1, created_at: 4 }, { epoch: NO_EPOCH, version: 0, created_at: 5 }),
    ).toBe(true);
  });
});
