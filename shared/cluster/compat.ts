import { err, ok, type Result } from "../util/result";

export type Incompatible = {
  status: "kong_version_incompatible" | "plugin_set_incompatible" | "plugin_version_incompatible";
  message: string;
};

const MAJOR_MINOR = /^(\d+)\.(\d+)\.\d+/;

/**
 * Kong's CP/DP version rule (kong/clustering/compat): the same major version, and a DP whose minor
 * version is not newer than the CP's.
 */
export function checkVersion(cp: string, dp: string): Result<void, Incompatible> {
  const c = MAJOR_MINOR.exec(cp);
  const d = MAJOR_MINOR.exec(dp);
  const incompatible = (message: string) =>
    err<Incompatible>({ status: "kong_version_incompatible", message });
  if (!c) return incompatible(`data plane version ${dp} is incompatible with control plane version`);
  if (!d)
    return incompatible(
      `data plane version is incompatible with control plane version ${cp} (${c[1]}.x.y are accepted)`,
    );
  if (c[1] !== d[1]) {
    return incompatible(
      `data plane version ${dp} is incompatible with control plane version ${cp} (${c[1]}.x.y are accepted)`,
    );
  }
  if (Number(c[2]) < Number(d[2])) {
    return incompatible(`data plane version ${dp} is incompatible with older control plane version ${cp}`);
  }
  return ok(undefined);
}

/**
 * Kong's plugin rule: every plugin the config uses must be on the DP, in a version of the same major
 * and a minor not newer than the CP's. A DP that fails it is sent no config (Kong's behaviour, and
 * the safe one: it never serves a route without a plugin meant to guard it).
 */
export function checkPlugins(
  configured: ReadonlyArray<{ name: string; version: string }>,
  onDp: ReadonlyArray<{ name: string; version: string }>,
): Result<void, Incompatible> {
  const dp = new Map(onDp.map((p) => [p.name, p.version]));
  for (const plugin of configured) {
    const dpVersion = dp.get(plugin.name);
    if (dpVersion === undefined) {
      return err({
        status: "plugin_set_incompatible",
        message: `configured ${plugin.name} plugin ${plugin.version} is missing from data plane`,
      });
    }
    const c = MAJOR_MINOR.exec(plugin.version);
    const d = MAJOR_MINOR.exec(dpVersion);
    if (c && d && (c[1] !== d[1] || Number(c[2]) < Number(d[2]))) {
      return err({
        status: "plugin_version_incompatible",
        message: `configured data plane ${plugin.name} plugin version ${dpVersion} is different to control plane plugin version ${plugin.version}`,
      });
    }
  }
  return ok(undefined);
}
