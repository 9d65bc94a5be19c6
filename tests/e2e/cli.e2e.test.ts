import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnLintel } from "../helpers/lintel-process";
import { freePort } from "../helpers/ports";
import { freshPostgres } from "../helpers/postgres";

async function run(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const p = spawnLintel(args, env, cwd);
  const code = await new Promise<number | null>((r) => p.proc.once("exit", (c) => r(c)));
  return { code, output: p.output() };
}

describe("the lintel command", () => {
  const dir = mkdtempSync(join(tmpdir(), "lintel-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(["start", "cp", "dp", "hybrid", "migrations", "config"])(
    "explains `%s` with --help",
    async (command) => {
      const { code, output } = await run([command, "--help"]);
      expect(code).toBe(0);
      expect(output).toMatch(new RegExp(`^Usage: lintel ${command}`));
      expect(output).toContain("Options:");
    },
  );

  it("lists its commands, and refuses an unknown one", async () => {
    expect((await run(["--help"])).output).toContain("hybrid gen_cert");
    const bad = await run(["launch"]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("Error: unknown command 'launch'");
  });

  it("generates a cluster pair as kong hybrid gen_cert does, and never overwrites it", async () => {
    const first = await run(["hybrid", "gen_cert", "--days", "2"], {}, dir);
    expect(first.code).toBe(0);
    expect(first.output).toContain(`'${join(dir, "cluster.crt")}' and '${join(dir, "cluster.key")}'`);
    expect(statSync(join(dir, "cluster.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "cluster.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const before = readFileSync(join(dir, "cluster.key"), "utf8");
    const again = await run(["hybrid", "gen_cert"], {}, dir);
    expect(again.code).toBe(1);
    expect(again.output).toContain(`${join(dir, "cluster.crt")} already exists.\nWill not overwrite it.`);
    expect(readFileSync(join(dir, "cluster.key"), "utf8")).toBe(before);
    const one = await run(["hybrid", "gen_cert", join(dir, "only.crt")], {}, dir);
    expect(one.output).toContain("both cert and key path needs to be provided");
    expect(existsSync(join(dir, "only.crt"))).toBe(false);
  });

  it("applies migrations to Postgres", async () => {
    const pg = await freshPostgres();
    try {
      const { code, output } = await run(["migrations", "up"], { DATABASE_URL: pg.url });
      expect(code).toBe(0);
      expect(output).toContain("Database is up to date");
    } finally {
      await pg.drop();
    }
  });

  it("imports a kong.yml into Postgres and exports it again, as kong config db_import/db_export", async () => {
    const pg = await freshPostgres();
    try {
      const yml = join(dir, "import.yml");
      writeFileSync(
        yml,
        '_format_version: "3.0"\nservices:\n  - name: imported\n    url: http://imported.test\n    routes:\n      - paths: [/i]\n',
      );
      const imported = await run(["config", "db_import", yml], { DATABASE_URL: pg.url });
      expect(imported.code, imported.output).toBe(0);
      expect(imported.output).toContain("import successful: 1 services, 1 routes");
      const out = join(dir, "export.yml");
      const exported = await run(["config", "db_export", out], { DATABASE_URL: pg.url });
      expect(exported.code, exported.output).toBe(0);
      expect(readFileSync(out, "utf8")).toContain("name: imported");
      expect((await run(["config", "db_export", out], { DATABASE_URL: pg.url })).output).toContain(
        "will not overwrite",
      );
      writeFileSync(yml, '_format_version: "3.0"\nservices:\n  - name: broken\n');
      const bad = await run(["config", "db_import", yml], { DATABASE_URL: pg.url });
      expect(bad.code).toBe(1);
      expect(bad.output).toContain(
        'declarative config is invalid: {services={{host="required field missing"}}}',
      );
    } finally {
      await pg.drop();
    }
  });

  it("runs a data plane with no config as Kong does: 404 on the proxy, 503 on /status/ready", async () => {
    const certsDir = join(dir, "dp-empty");
    await import("node:fs").then((fs) => fs.mkdirSync(certsDir, { recursive: true }));
    const gen = await run(["hybrid", "gen_cert", join(certsDir, "c.crt"), join(certsDir, "c.key")]);
    expect(gen.code).toBe(0);
    const [proxyPort, statusPort] = [await freePort(), await freePort()];
    const dp = spawnLintel(["dp"], {
      KONG_PREFIX: certsDir,
      KONG_CLUSTER_CERT: join(certsDir, "c.crt"),
      KONG_CLUSTER_CERT_KEY: join(certsDir, "c.key"),
      KONG_CLUSTER_CONTROL_PLANE: "127.0.0.1:9",
      KONG_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      KONG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    });
    try {
      await dp.waitForOutput(/Status API\s+http/, 60_000);
      const ready = await fetch(`http://127.0.0.1:${statusPort}/status/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        message: "no configuration available (empty configuration present)",
      });
      const proxied = await fetch(`http://127.0.0.1:${proxyPort}/anything`);
      expect(proxied.status).toBe(404);
      expect((await proxied.json()).message).toBe("no Route matched with those values");
    } finally {
      await dp.stop();
    }
  });

  it("reads a kong.conf file and names a bad line", async () => {
    const conf = join(dir, "bad.conf");
    await import("node:fs").then((fs) =>
      fs.writeFileSync(conf, "role = control_plane\nadmin_lsten = 127.0.0.1:1\n"),
    );
    const { code, output } = await run(["cp", "-c", conf]);
    expect(code).toBe(1);
    expect(output).toContain(`Error: ${conf}: line 2: unknown option 'admin_lsten'`);
  });

  it("refuses to start a control plane without cluster certificates", async () => {
    const { code, output } = await run(["cp"], { KONG_PREFIX: join(dir, "nocert") });
    expect(code).toBe(1);
    expect(output).toContain("Error: cluster certificate and key must be provided to use Hybrid mode");
  });
});
