import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDpFromConf } from "../../cli/commands/dp";
import { type LocalDp, startLocalDp } from "../../cli/local-dp";
import { ensureClusterCertificates } from "../../cli/node-options";
import { parseConf } from "../../shared/conf/options";
import { freePort } from "../helpers/ports";
import { type SeenRequest, startUpstream } from "../helpers/upstream";
import { waitFor } from "../helpers/wait";

/**
 * `lintel dp` (and `lintel start`) serve the proxy on workerd's own socket, as the edge runs the
 * Worker: no development Worker of Miniflare's between the client and the DP, which rewrote every
 * request's Accept-Encoding to "br, gzip" and logged it.
 */
describe("the local DP on workerd's own socket", () => {
  let dir: string;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dp: LocalDp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "lintel-dp-socket-"));
    upstream = await startUpstream();
    const port = await freePort();
    const parsed = parseConf({
      prefix: dir,
      role: "data_plane",
      proxy_listen: `127.0.0.1:${port}`,
      // nothing listens there: the DP serves its declarative config
      cluster_control_plane: `127.0.0.1:${await freePort()}`,
      declarative_config_string: JSON.stringify({
        _format_version: "3.0",
        services: [{ name: "echo", url: upstream.url, routes: [{ name: "echo", paths: ["/echo"] }] }],
      }),
    });
    if (!parsed.ok) throw new Error(parsed.error.join("; "));
    const { conf } = await ensureClusterCertificates(parsed.value);
    dp = await startDpFromConf(conf);
    expect(dp.url).toBe(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    await dp?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const seenAfter = async (headers: Record<string, string>): Promise<SeenRequest> => {
    const res = await waitFor("the route", async () => {
      const r = await fetch(`${dp.url}/echo/x`, { headers });
      await r.arrayBuffer();
      return r.status === 200 ? r : undefined;
    });
    expect(res.headers.get("via")).toMatch(/lintel/);
    return upstream.seen.at(-1) as SeenRequest;
  };

  it("passes the client's Accept-Encoding to the service as it came, as Kong does", async () => {
    expect((await seenAfter({ "accept-encoding": "identity" })).headers["accept-encoding"]).toBe("identity");
    expect((await seenAfter({ "accept-encoding": "zstd" })).headers["accept-encoding"]).toBe("zstd");
  });

  it("adds Kong's headers for the service", async () => {
    const seen = await seenAfter({ "x-forwarded-for": "10.0.0.1" });
    // the client is not in trusted_ips: its X-Forwarded-For is kept and the peer added
    expect(seen.headers["x-forwarded-for"]).toMatch(/^10\.0\.0\.1, /);
    expect(seen.headers["x-forwarded-path"]).toBe("/echo/x");
    expect(seen.headers["x-kong-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("refuses a node name other than local, which only request.cf could tell the Worker", async () => {
    await expect(
      startLocalDp({
        prefix: join(dir, "named"),
        host: "127.0.0.1",
        port: 0,
        bindings: {},
        nodeName: "fra",
        directSocket: true,
      }),
    ).rejects.toThrow(/request\.cf: its node is "local", not "fra"/);
  });
});
