import { describe, expect, it } from "vitest";
import { isHashedApart } from "../../shared/hash/config-hash";
import { isColdType } from "../../shared/snapshot/cold";
import { ENTITY_NAMES } from "../dao";

describe("the order a build with the rest made apart relies on", () => {
  it("has every hot type of the rest (hashed together, not cold) before the first type hashed apart", () => {
    // `SnapshotBuilder.build` puts the rest's hot text first: a hot type of the rest placed after
    // services would land out of Kong's order in the hot JSON
    const firstApart = ENTITY_NAMES.findIndex((name) => isHashedApart(name));
    const restHot = ENTITY_NAMES.filter((name) => !isHashedApart(name) && !isColdType(name));
    expect(restHot).toEqual(["certificates", "snis", "ca_certificates"]);
    for (const name of restHot) expect(ENTITY_NAMES.indexOf(name)).toBeLessThan(firstApart);
  });
});
