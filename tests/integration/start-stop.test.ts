import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane } from "../../control-plane/node/control-plane";
import { parseConf } from "../../shared/conf/options";
import { clusterCertificate } from "../helpers/certs";

/** Invalid hybrid-mode configurations refused at start-up, naming the option (09-hybrid_mode/02-start_stop_spec.lua). */
describe("a control plane refuses to start", () => {
  let dir: string;
  let certs: Awaited<ReturnType<typeof clusterCertificate>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-startstop-"));
    certs = await clusterCertificate(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (options: Record<string, string>) => {
    const conf = parseConf({
      prefix: join(dir, "cp"),
      cluster_cert: certs.cert,
      cluster_cert_key: certs.key,
      ...options,
    });
    if (!conf.ok) throw new Error(conf.error.join("; "));
    return startControlPlane(conf.value, { log: () => {} });
  };

  it.each([
    [{ admin_listen: "off" }, 'admin_listen must be specified when role = "control_plane"'],
    [{ cluster_listen: "off" }, 'cluster_listen must be specified when role = "control_plane"'],
    [{ cluster_mtls: "pki" }, 'cluster_ca_cert must be specified when cluster_mtls = "pki"'],
  ])("with %j: %s", async (options, message) => {
    await expect(start(options)).rejects.toThrow(message);
  });

  it("with invalid labels, naming the option", () => {
    const conf = parseConf({ prefix: join(dir, "cp"), cluster_dp_labels: "deployment:mycloud,country:$" });
    expect(conf.ok).toBe(false);
    expect(!conf.ok && conf.error.join()).toContain("cluster_dp_labels");
  });
});
