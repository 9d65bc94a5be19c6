import { describe, expect, it } from "vitest";
import { parseListen } from "./listen";
import { fromEnvironment, parseConf, parseConfFile } from "./options";

describe("options (kong.conf names and messages)", () => {
  it("has Kong's defaults", () => {
    const r = parseConf({});
    expect(r).toMatchObject({
      ok: true,
      value: {
        role: "traditional",
        cluster_mtls: "shared",
        cluster_max_payload: 16777216,
        cluster_data_plane_purge_delay: 1209600,
        db_update_frequency: 5,
        admin_listen: [{ host: "127.0.0.1", port: 8001, ssl: false }],
        cluster_listen: [{ host: "0.0.0.0", port: 8005 }],
      },
    });
  });

  it("names the option and the allowed values for a bad enum (conf_loader/parse.lua)", () => {
    expect(parseConf({ role: "foo" })).toEqual({
      ok: false,
      error: ["role has an invalid value: 'foo' (data_plane, control_plane, traditional)"],
    });
  });

  it("reports every bad option at once", () => {
    const r = parseConf({
      cluster_max_payload: "abc",
      cluster_data_plane_purge_delay: "10",
      cluster_mtls: "x",
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toEqual([
      "cluster_mtls has an invalid value: 'x' (shared, pki)",
      "cluster_max_payload is not a number: 'abc'",
      "cluster_data_plane_purge_delay must be 60 or greater",
    ]);
  });

  it("bounds cluster_max_payload by what a DP node holds whole", () => {
    expect(parseConf({ cluster_max_payload: String(48 * 1024 * 1024) }).ok).toBe(true);
    expect(parseConf({ cluster_max_payload: String(48 * 1024 * 1024 + 1) })).toEqual({
      ok: false,
      error: [
        "cluster_max_payload must be 50331648 (48MB) or less: a DP node holds two snapshots whole, in 128 MB",
      ],
    });
  });

  it("reads KONG_* variables and lists unknown ones", () => {
    const r = fromEnvironment({
      KONG_ROLE: "control_plane",
      KONG_PG_HOST: "db",
      KONG_NOPE: "1",
      PATH: "/bin",
    });
    expect(r).toEqual({ values: { role: "control_plane", pg_host: "db" }, unknown: ["KONG_NOPE"] });
  });

  it("reads a kong.conf file with comments, and refuses unknown options by line", () => {
    expect(parseConfFile("# comment\nrole = control_plane  # trailing\npg_password = a\\#b\n")).toEqual({
      ok: true,
      value: { role: "control_plane", pg_password: "a#b" },
    });
    expect(parseConfFile("rol = x")).toEqual({ ok: false, error: ["line 1: unknown option 'rol'"] });
  });

  it("parses labels with Kong's rules", () => {
    expect(parseConf({ cluster_dp_labels: "deployment:mycloud,region:us-east-1" })).toMatchObject({
      ok: true,
      value: { cluster_dp_labels: { deployment: "mycloud", region: "us-east-1" } },
    });
    expect(parseConf({ cluster_dp_labels: "novalue" }).ok).toBe(false);
  });
});

describe("listen values (conf_loader/listeners.lua)", () => {
  it("parses addresses and flags", () => {
    expect(
      parseListen("proxy_listen", "0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl"),
    ).toEqual([
      { host: "0.0.0.0", port: 8000, ssl: false, http2: false },
      { host: "0.0.0.0", port: 8443, ssl: true, http2: true },
    ]);
    expect(parseListen("admin_listen", "[::1]:8001")).toEqual([
      { host: "[0000:0000:0000:0000:0000:0000:0000:0001]", port: 8001, ssl: false, http2: false },
    ]);
    expect(parseListen("admin_listen", "off")).toEqual([]);
  });

  it("gives Kong's message for a bad value", () => {
    expect(parseListen("proxy_listen", "8000")).toMatch(
      /^proxy_listen must be of form: \[off\] \| <ip>:<port>/,
    );
    expect(parseListen("proxy_listen", "127.0.0.1:8000 bogus")).toMatch(/^proxy_listen must be of form/);
  });
});

describe("proxy header options (Kong's headers, headers_upstream, trusted_ips)", () => {
  it("expands Kong's tokens and takes off for none", () => {
    const c = parseConf({});
    expect(c.ok && [...c.value.headers].sort()).toEqual([
      "server",
      "via",
      "x-kong-admin-latency",
      "x-kong-proxy-latency",
      "x-kong-request-id",
      "x-kong-response-latency",
      "x-kong-upstream-latency",
    ]);
    const off = parseConf({ headers: "off", headers_upstream: "off" });
    expect(off.ok && [off.value.headers.size, off.value.headers_upstream.size]).toEqual([0, 0]);
    const some = parseConf({ headers: "Via, X-Kong-Upstream-Status" });
    expect(some.ok && [...some.value.headers]).toEqual(["via", "x-kong-upstream-status"]);
  });

  it("names a bad entry and a bad trusted address as Kong does", () => {
    expect(parseConf({ headers: "via, nope", trusted_ips: "10.0.0.0/8, 300.1.1.1" })).toEqual({
      ok: false,
      error: [
        "headers: invalid entry 'nope'",
        "trusted_ips must be a comma separated list in the form of IPv4 or IPv6 address or CIDR block or 'unix:', got '300.1.1.1'",
      ],
    });
    const all = parseConf({ trusted_ips: "0.0.0.0/0,::/0" });
    expect(all.ok && all.value.trusted_ips).toHaveLength(2);
  });
});
