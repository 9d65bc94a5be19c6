import { describe, expect, it } from "vitest";
import { checkPlugins, checkVersion } from "./compat";

// kong/clustering/compat/init.lua check_kong_version_compatibility / check_configuration_compatibility
describe("CP/DP compatibility", () => {
  it.each([
    ["3.10.0", "3.10.0", true],
    ["3.10.0", "3.9.2", true],
    ["3.10.0", "3.11.0", false],
    ["3.10.0", "4.0.0", false],
    ["3.10.0", "2.8.1", false],
    ["3.10.0", "garbage", false],
  ])("CP %s accepts DP %s: %s", (cp, dp, accepted) => {
    expect(checkVersion(cp, dp).ok).toBe(accepted);
  });

  it("names the rule a DP fails", () => {
    expect(checkVersion("3.10.0", "3.11.0")).toEqual({
      ok: false,
      error: {
        status: "kong_version_incompatible",
        message: "data plane version 3.11.0 is incompatible with older control plane version 3.10.0",
      },
    });
  });

  it("requires every configured plugin on the DP, in a compatible version", () => {
    const configured = [{ name: "key-auth", version: "3.10.0" }];
    expect(checkPlugins(configured, [])).toMatchObject({
      ok: false,
      error: {
        status: "plugin_set_incompatible",
        message: "configured key-auth plugin 3.10.0 is missing from data plane",
      },
    });
    expect(checkPlugins(configured, [{ name: "key-auth", version: "3.11.0" }])).toMatchObject({
      ok: false,
      error: { status: "plugin_version_incompatible" },
    });
    expect(checkPlugins(configured, [{ name: "key-auth", version: "3.9.0" }]).ok).toBe(true);
    expect(checkPlugins([], []).ok).toBe(true);
  });
});
