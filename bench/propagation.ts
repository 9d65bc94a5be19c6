import { join } from "node:path";
import { startLocalDp } from "../cli/local-dp";
import { freePort } from "../tests/helpers/ports";

/**
 * `writes` route creations in a row on service `bench`, each timed from the POST until `served`
 * resolves for the new path (every DP answers 200 on it).
 */
export async function measurePropagation(
  writes: number,
  postTo: (path: string, body: unknown) => Promise<Response>,
  served: (path: string) => Promise<unknown>,
  prefix: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < writes; i++) {
    const t = performance.now();
    const r = await postTo("/services/bench/routes", { paths: [`/${prefix}${i}`], strip_path: false });
    if (r.status !== 201) throw new Error(`route write failed: ${r.status}`);
    await served(`/${prefix}${i}`);
    times.push(performance.now() - t);
  }
  return times;
}

/** Polls `base + path` until it answers 200; resolves to how long that took. */
export async function waitServedOn(base: string, path: string, deadline = 10_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    const r = await fetch(`${base}${path}`);
    await r.arrayBuffer();
    if (r.status === 200) return performance.now() - start;
    if (performance.now() - start > deadline) throw new Error(`${path} not served within ${deadline} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Propagation through the CP at `adminUrl` (its cluster endpoint at `clusterBase`) to a DP of its
 * own in workerd: a service `name` on `upstreamUrl`, then `writes` route creations on it.
 */
export async function propagationOn(opts: {
  name: string;
  adminUrl: string;
  headers: Record<string, string>;
  clusterBase: string;
  /** Where the DP keeps its state (a folder `name` in it). */
  dir: string;
  /** The cluster certificate and key (KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY). */
  certs: Record<string, string>;
  upstreamUrl: string;
  writes: number;
}): Promise<number[]> {
  const { name, adminUrl, headers } = opts;
  const edge = await startLocalDp({
    prefix: join(opts.dir, name),
    quiet: true,
    host: "127.0.0.1",
    port: await freePort(),
    bindings: { ...opts.certs, KONG_CLUSTER_CONTROL_PLANE: opts.clusterBase },
  });
  const postTo = (path: string, body: unknown) =>
    fetch(`${adminUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  await postTo("/services", { name, url: opts.upstreamUrl });
  const served = async (path: string) => waitServedOn(edge.url, path);
  await postTo(`/services/${name}/routes`, { paths: [`/${name}-warm`] });
  await served(`/${name}-warm`);
  const times = await measurePropagation(
    opts.writes,
    (path, body) => postTo(path.replace("/services/bench/", `/services/${name}/`), body),
    served,
    name,
  );
  await edge.close();
  return times;
}
