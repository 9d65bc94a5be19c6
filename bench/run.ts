import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { dpBindings } from "../cli/commands/dp";
import { COMPATIBILITY_DATE, startLocalDp } from "../cli/local-dp";
import { ensureClusterCertificates } from "../cli/node-options";
import { createDaos } from "../control-plane/dao";
import { startControlPlane } from "../control-plane/node/control-plane";
import { loadClusterIdentity } from "../shared/cluster/keys";
import { MAX_CLUSTER_PAYLOAD, parseConf } from "../shared/conf/options";
import { LINTEL_VERSION } from "../shared/version";
import { startManagedCp } from "../tests/helpers/managed-cp";
import { startPgWebSocketRelay } from "../tests/helpers/pg-websocket-relay";
import { freePort } from "../tests/helpers/ports";
import { freshPostgres } from "../tests/helpers/postgres";
import { DESIGN_LARGE_CASE, shapeOf } from "../tests/helpers/synthetic-config";
import { measureColdStart } from "./cold-start";
import { benchHubHeap } from "./hub-heap";
import { hasCallgrind } from "./instructions";
import { benchIsolateHeap, largestCase, manyCredentialsCase } from "./isolate-heap";
import { compare, median, percentile } from "./load";
import { measureOvershoot } from "./overshoot";
import { withWorkerdCpu } from "./process-cpu";
import { measurePropagation, propagationOn, waitServedOn } from "./propagation";
import { countProxyInstructions, instructionsSection } from "./proxy-instructions";
import { type ProxyResults, proxySection } from "./proxy-section";
import { benchRestThread, IMPORT_ROUNDS, restThreadSection } from "./rest-thread";
import { benchRouter } from "./router";
import { benchSnapshots, EXPORT_PAIRS, NEW_PROCESS_RUNS } from "./snapshot";
import { startBenchUpstream } from "./upstream";

/*
 * `npm run bench`: Lintel against baselines measured in the same run, on the same machine, with the
 * same client and upstream. Results go to BENCHMARKS.md.
 */

process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WRITES = Number(process.env.BENCH_WRITES ?? 40);
const OVERSHOOT = { colos: 4, limit: 100, sent: 1000, concurrency: 32 };

const log = (m: string) => console.error(m);

log("router: compile and match at 100 to 100k routes");
const routerRows = benchRouter([100, 1000, 10_000, 100_000]);
const dir = mkdtempSync(join(tmpdir(), "lintel-bench-"));
const upstream = await startBenchUpstream();

const conf0 = parseConf({
  prefix: dir,
  admin_listen: `127.0.0.1:${await freePort()}`,
  cluster_listen: `127.0.0.1:${await freePort()}`,
  proxy_listen: `127.0.0.1:${await freePort()}`,
});
if (!conf0.ok) throw new Error(conf0.error.join());
const { conf } = await ensureClusterCertificates(conf0.value);
const cp = await startControlPlane(conf, { log: () => {} });
const [dp, dpCpu] = await withWorkerdCpu(() =>
  startLocalDp({
    prefix: dir,
    host: "127.0.0.1",
    port: conf.proxy_listen[0]?.port ?? 0,
    quiet: true,
    bindings: { ...dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }) },
  }),
);

// The baseline: a bare pass-through Worker served the same way (workerd, same bindings), same upstream.
const barePort = await freePort();
const [bare, bareCpu] = await withWorkerdCpu(() =>
  startLocalDp({
    prefix: join(dir, "baseline"),
    host: "127.0.0.1",
    port: barePort,
    quiet: true,
    bindings: { BENCH_UPSTREAM: upstream.url },
    entry: join(import.meta.dirname ?? ".", "workers/baseline.ts"),
    wakeNode: false,
  }),
);
const bareUrl = bare.url;
/**
 * Another workerd serving the same bare Worker, one making Kong's runtime calls alone, and the bare
 * Worker on workerd's own socket (`directSocket`: as `lintel dp` serves the proxy).
 */
const reference = async (name: string, file: string, directSocket = false) =>
  withWorkerdCpu(async () =>
    startLocalDp({
      prefix: join(dir, name),
      host: "127.0.0.1",
      port: await freePort(),
      quiet: true,
      bindings: { BENCH_UPSTREAM: upstream.url },
      entry: join(import.meta.dirname ?? ".", "workers", file),
      wakeNode: false,
      directSocket,
    }),
  );
const [bareAgain, bareAgainCpu] = await reference("baseline-again", "baseline.ts");
const [bareDirect, bareDirectCpu] = await reference("baseline-direct", "baseline.ts", true);
const [kongWorker, kongCallsCpu] = await reference("kong-calls", "kong-calls.ts");

const post = (path: string, body: unknown) =>
  fetch(`${cp.adminUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
await post("/services", { name: "bench", url: upstream.url });
await post("/services/bench/routes", { paths: ["/bench"], strip_path: false });
// the same service behind key-auth and rate-limiting (limits far above the load)
await post("/services/bench/routes", { name: "plugged", paths: ["/plugged"], strip_path: false });
await post("/routes/plugged/plugins", { name: "key-auth" });
await post("/routes/plugged/plugins", {
  name: "rate-limiting",
  config: { second: 1_000_000, limit_by: "consumer", policy: "local" },
});
// each plugin alone, on routes of their own in the same DP: what each adds
await post("/services/bench/routes", { name: "keyed", paths: ["/keyed"], strip_path: false });
await post("/routes/keyed/plugins", { name: "key-auth" });
await post("/services/bench/routes", { name: "limited", paths: ["/limited"], strip_path: false });
await post("/routes/limited/plugins", {
  name: "rate-limiting",
  config: { second: 1_000_000, limit_by: "ip", policy: "local" },
});
await post("/consumers", { username: "bench" });
await post("/consumers/bench/key-auth", { key: "bench-key" });
const waitServed = (path: string) => waitServedOn(dp.url, path);
await waitServed("/bench/warm");
await waitServed("/plugged/warm?apikey=bench-key");
await waitServed("/keyed/warm?apikey=bench-key");
await waitServed("/limited/warm");
// The same DP with Kong's `headers = off`: what Via, the latency headers and the request id cost.
const [quietDp, quietCpu] = await withWorkerdCpu(async () =>
  startLocalDp({
    prefix: join(dir, "headers-off"),
    host: "127.0.0.1",
    port: await freePort(),
    quiet: true,
    nodeName: "headers-off",
    bindings: {
      ...dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }),
      KONG_HEADERS: "off",
      KONG_HEADERS_UPSTREAM: "off",
    },
  }),
);
await waitServedOn(quietDp.url, "/bench/warm");
const [directDp, directDpCpu] = await withWorkerdCpu(async () =>
  startLocalDp({
    prefix: join(dir, "direct"),
    host: "127.0.0.1",
    port: await freePort(),
    quiet: true,
    bindings: { ...dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }) },
    directSocket: true,
  }),
);
await waitServedOn(directDp.url, "/bench/warm");

log(`proxy: ${ROUNDS} interleaved rounds of ${SECONDS} s per target, ${CONCURRENCY} connections`);
const proxyResults = await compare(
  {
    direct: `${upstream.url}/bench/x`,
    baseline: `${bareUrl}/bench/x`,
    baselineAgain: `${bareAgain.url}/bench/x`,
    kongCalls: `${kongWorker.url}/bench/x`,
    lintel: `${dp.url}/bench/x`,
    headersOff: `${quietDp.url}/bench/x`,
    plugins: `${dp.url}/plugged/x?apikey=bench-key`,
    keyAuth: `${dp.url}/keyed/x?apikey=bench-key`,
    rateLimiting: `${dp.url}/limited/x`,
    bareDirect: `${bareDirect.url}/bench/x`,
    lintelDirect: `${directDp.url}/bench/x`,
  },
  {
    concurrency: CONCURRENCY,
    ms: SECONDS * 1000,
    rounds: ROUNDS,
    cpu: {
      baseline: bareCpu,
      baselineAgain: bareAgainCpu,
      kongCalls: kongCallsCpu,
      lintel: dpCpu,
      headersOff: quietCpu,
      plugins: dpCpu,
      keyAuth: dpCpu,
      rateLimiting: dpCpu,
      bareDirect: bareDirectCpu,
      lintelDirect: directDpCpu,
    },
  },
);
const proxy = proxyResults as ProxyResults;
await quietDp.close();
await directDp.close();
await bareDirect.close();
await bareAgain.close();
await kongWorker.close();

// The same Workers, each instruction counted (valgrind's callgrind), served on workerd's own socket.
const instructions = hasCallgrind()
  ? await countProxyInstructions({
      dir,
      upstreamUrl: upstream.url,
      dpBindings: dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }),
      log,
    })
  : undefined;

log(`propagation: ${WRITES} writes`);
const propagation = await measurePropagation(WRITES, post, waitServed, "p");

// Two more DP nodes (each its own workerd, as separate colos are) on the same CP: a write counts
// as served when all three serve it.
const moreDps = await Promise.all(
  [1, 2].map(async (n) =>
    startLocalDp({
      prefix: join(dir, `dp${n}`),
      quiet: true,
      host: "127.0.0.1",
      port: await freePort(),
      bindings: { ...dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }) },
    }),
  ),
);
const allDps = [dp, ...moreDps];
for (const d of moreDps) await waitServedOn(d.url, "/bench/warm");
log(`propagation to ${allDps.length} DP nodes: ${WRITES} writes`);
const propagationAll = await measurePropagation(
  WRITES,
  post,
  (path) => Promise.all(allDps.map((d) => waitServedOn(d.url, path))),
  "all",
);
for (const d of moreDps) await d.close();

log(
  `rate-limiting overshoot: ${OVERSHOOT.sent} requests over ${OVERSHOOT.colos} DP nodes, ${OVERSHOOT.concurrency} at a time`,
);
const overshoot = await measureOvershoot(post, dp, OVERSHOOT);

log("cold start: a fresh DP node and isolate from the KV cache, 1000 routes");
const COLD_ROUTES = 1000;
await fetch(`${cp.adminUrl}/config`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    _format_version: "3.0",
    services: [
      {
        name: "cold",
        url: upstream.url,
        routes: Array.from({ length: COLD_ROUTES }, (_, i) => ({ name: `c${i}`, paths: [`/c${i}`] })),
      },
    ],
  }),
});
const coldPath = `/c${COLD_ROUTES - 1}/x`;
const coldStart = await measureColdStart({
  dir: join(dir, "cold"),
  bindings: { ...dpBindings({ ...conf, cluster_control_plane: cp.clusterUrl }) },
  warmUp: async (url) => {
    await waitServedOn(url, coldPath);
  },
  path: coldPath,
  routes: COLD_ROUTES,
  runs: 5,
});

await bare.close();
await dp.close();
await cp.close();

// The two control planes on the real Postgres server, one after the other: the Node CP, then the
// managed CP Worker in workerd (through the WebSocket relay that stands in for Neon's proxy).
log(`propagation on Postgres: Node CP, then the managed CP, ${WRITES} writes each`);
const pg = await freshPostgres();
const certs = {
  KONG_CLUSTER_CERT: readFileSync(conf.cluster_cert ?? "", "utf8"),
  KONG_CLUSTER_CERT_KEY: readFileSync(conf.cluster_cert_key ?? "", "utf8"),
};
/** Propagation through a CP on the Postgres server, to a DP of its own. */
const onPostgres = (name: string, adminUrl: string, headers: Record<string, string>, clusterBase: string) =>
  propagationOn({
    name,
    adminUrl,
    headers,
    clusterBase,
    dir,
    certs,
    upstreamUrl: upstream.url,
    writes: WRITES,
  });
const pgConf = parseConf({
  prefix: join(dir, "node-cp"),
  admin_listen: `127.0.0.1:${await freePort()}`,
  cluster_listen: `127.0.0.1:${await freePort()}`,
  cluster_cert: conf.cluster_cert ?? "",
  cluster_cert_key: conf.cluster_cert_key ?? "",
});
if (!pgConf.ok) throw new Error(pgConf.error.join());
const nodeOnPg = await startControlPlane(pgConf.value, { env: { DATABASE_URL: pg.url }, log: () => {} });
const nodePg = await onPostgres("node", nodeOnPg.adminUrl, {}, nodeOnPg.clusterUrl);
await nodeOnPg.close();
const relay = await startPgWebSocketRelay();
const managed = await startManagedCp({
  dir: join(dir, "managed-cp"),
  bindings: {
    ...certs,
    DATABASE_URL: pg.url,
    DATABASE_WEBSOCKET_PROXY: relay.url,
    KONG_ADMIN_TOKEN: "bench",
  },
});
const managedPg = await onPostgres(
  "managed",
  managed.url,
  { "kong-admin-token": "bench" },
  managed.url.replace(/^http/, "ws"),
);
await managed.close();
await relay.close();
await pg.drop();

// sizes in entities, and `design`: DESIGN.md's large case (10k services, routes and plugins, 50k consumers)
const SNAPSHOT_SHAPES = (process.env.BENCH_SNAPSHOT_SIZES ?? "1000,10000,100000,design")
  .split(",")
  .map((s) => (s === "design" ? DESIGN_LARGE_CASE : shapeOf(Number(s))));
log(
  `snapshot: import, export, hash, seal; verify, open, compile at ${SNAPSHOT_SHAPES.map((s) => 3 * s.services + 2 * s.consumers).join(", ")} entities`,
);
const snapshotPg = await freshPostgres();
const identity = await loadClusterIdentity(certs.KONG_CLUSTER_CERT, certs.KONG_CLUSTER_CERT_KEY);
if (!identity.ok) throw new Error(`cluster certificate: ${identity.error.reason}`);
const snapshotRows = await benchSnapshots(
  snapshotPg.db,
  snapshotPg.read,
  createDaos(snapshotPg.db, () => {}),
  identity.value,
  "bench",
  SNAPSHOT_SHAPES,
  log,
  { url: snapshotPg.url, cert: certs.KONG_CLUSTER_CERT, key: certs.KONG_CLUSTER_CERT_KEY },
);
// the managed CP's Hub on the same database, which holds the last size's config
const hubRow = await benchHubHeap(snapshotPg.url, snapshotRows.at(-1)?.entities ?? 0, "user-1", certs, log);
const restShape = SNAPSHOT_SHAPES.at(-1) ?? DESIGN_LARGE_CASE;
log(`snapshot: the rest of the config on a thread of its own, ${IMPORT_ROUNDS} imports each of three ways`);
if (!snapshotPg.postgres) throw new Error("the snapshot database is not a Postgres server");
const restRow = await benchRestThread(
  snapshotPg.db,
  snapshotPg.read,
  createDaos(snapshotPg.db, () => {}),
  snapshotPg.postgres,
  identity.value,
  "bench",
  restShape,
);
await snapshotPg.drop();

log("isolate heap in workerd: each snapshot taken by a fresh DP");
// a route of every size's config behind key-auth (bench/snapshot.ts: key-auth on odd routes)
const probe = { path: "/s1", host: "api1.example.com" };
/** Consumers (each with a key-auth key) of the isolate heap's case of many credentials. */
const MANY_CONSUMERS = Number(process.env.BENCH_MANY_CONSUMERS ?? 250_000);
const heapRows = await benchIsolateHeap(
  [
    ...snapshotRows.map((r) => ({ label: `${r.entities} entities`, sealed: r.sealed })),
    await manyCredentialsCase(identity.value, probe, MANY_CONSUMERS),
    await largestCase(identity.value, probe),
  ],
  certs,
  probe,
  log,
);
await upstream.close();
rmSync(dir, { recursive: true, force: true });

const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
const md = `# Benchmarks

Written by \`npm run bench\` (${new Date().toISOString().slice(0, 10)}). Every number in a table comes from
the same run, on the same machine, with the same client and the same upstream server; compare the
ratios, not the absolute numbers, across machines.

- Lintel ${LINTEL_VERSION}, Node ${process.version}, workerd via miniflare (compatibility date ${COMPATIBILITY_DATE})
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB
- Client: ${proxy.baseline.client}, ${CONCURRENCY} connections; ${ROUNDS} interleaved rounds of ${SECONDS} s per target, median
  round reported (ratios: the median of the rounds' ratios, each round measuring every target in
  turn); upstream: a Node http server in the benchmark's process that answers every request with
  the same small JSON body (\`bench/upstream.ts\`); the Workers log warnings only (Miniflare
  otherwise reports every request to this process)

${proxySection(proxy)}
${instructions ? instructionsSection(instructions) : "Instructions per request: not counted (valgrind's callgrind is not on this machine).\n"}
## Admin API write → data plane serving it

${WRITES} route creations in a row, each timed from the POST until the DP answers 200 on the new path
(polled every 5 ms), with the CP and one DP on this machine and \`config_check_interval\` = ${conf.config_check_interval} s.

| p50 ms | p99 ms | max ms |
|---|---|---|
| ${f(percentile(propagation, 0.5))} | ${f(percentile(propagation, 0.99))} | ${f(Math.max(...propagation))} |

The same on the real Postgres server, the Node CP and then the managed CP Worker (in workerd, its
Postgres reached through the test WebSocket-to-TCP relay that stands in for Neon's proxy), each
with its own DP:

| control plane | p50 ms | p99 ms | max ms | p50 ratio to the Node CP |
|---|---|---|---|---|
| Node CP (baseline) | ${f(percentile(nodePg, 0.5))} | ${f(percentile(nodePg, 0.99))} | ${f(Math.max(...nodePg))} | 1.00 |
| managed CP Worker | ${f(percentile(managedPg, 0.5))} | ${f(percentile(managedPg, 0.99))} | ${f(Math.max(...managedPg))} | ${f(percentile(managedPg, 0.5) / percentile(nodePg, 0.5))} |

The same CP with three DP nodes (three workerd processes, as three colos), a write timed until all
three serve it:

| DP nodes | p50 ms | p99 ms | max ms | p50 ratio to one DP node |
|---|---|---|---|---|
| 1 (above, baseline) | ${f(percentile(propagation, 0.5))} | ${f(percentile(propagation, 0.99))} | ${f(Math.max(...propagation))} | 1.00 |
| ${allDps.length} | ${f(percentile(propagationAll, 0.5))} | ${f(percentile(propagationAll, 0.99))} | ${f(Math.max(...propagationAll))} | ${f(percentile(propagationAll, 0.5) / percentile(propagation, 0.5))} |

The Worker opens a database connection per Admin API request (a Worker cannot keep sockets
between requests) and tells the Hub, which exports on its own connection.

Most writes are served within tens of milliseconds (export, sign, push, verify, compile); the tail is
the isolate's \`config_check_interval\`: an isolate that checked just before the write sees it at its
next check. Target (DESIGN.md): ≤ 1 s at p99. Kong: up to \`db_update_frequency\` (5 s) plus the sync.
`;
const routerSection = `
## Router: compile and match

Kong's \`traditional_compatible\` router over a synthetic mix (\`bench/router.ts\`): 45 % host +
prefix routes, 35 % two-prefix routes (split into path groups), 10 % wildcard hosts, 9 % method +
header routes, 1 % regex routes. Match times are per request, in one Node process: cache misses
are the median of seven passes of 20,000 questions never asked before, after a pass that warms the
JIT up (hits: the median of seven passes of 20,000 over 100 questions); the baseline is the same matchers in the same order tried one by one, measured in the same
run. Target (DESIGN.md): ≤ 5 µs median at 10k routes, compile ≤ 200 ms.

| routes | compile ms | match µs, cache miss | match µs, cache hit | baseline: linear scan µs | linear ÷ indexed |
|---|---|---|---|---|---|
${routerRows.map((r) => `| ${r.routes} | ${f(r.compileMs)} | ${f(r.missUs)} | ${f(r.hitUs)} | ${f(r.linearUs)} | ${f(r.linearUs / r.missUs)} |`).join("\n")}

A request's candidates come from an index by host (exact names, wildcard labels) and by path
prefix (route prefixes, and the literal start of regexes, in a radix tree walked once along the
path), merged in Kong's order. The cache has Kong's number of entries, in sets of four keyed by
the request's fields (no key string built), the least recently used of a set replaced.
`;
const overshootSection = `
## rate-limiting: overshoot under concurrent load from several DP nodes

${OVERSHOOT.sent} requests for one subject (\`limit_by = header\`), ${OVERSHOOT.concurrency} in flight at a
time, spread evenly over ${OVERSHOOT.colos} colos, each with its own DP node, against \`hour = ${OVERSHOOT.limit}\`
(\`bench/overshoot.ts\`, one DP Worker in workerd, the colo set per request).

| policy | DP nodes | limit | sent | let through | the policy allows | overshoot |
|---|---|---|---|---|---|---|
${overshoot.map((r) => `| ${r.policy} | ${r.colos} | ${r.limit} | ${r.sent} | ${r.accepted} | ${r.allowed} | ${r.accepted - r.allowed} (${f((100 * (r.accepted - r.allowed)) / r.limit)} % of the limit) |`).join("\n")}

\`cluster\` counts every colo's hits in one Durable Object per subject and window, checking and
counting each hit in one step, so concurrency cannot let more through than the limit. \`local\`
counts per DP node (per colo), as Kong's \`local\` counts per Kong node: a subject whose traffic
reaches N colos gets up to N times the limit, and no more. Kong's plugin reads the count, lets
the request through, and adds the hit afterwards in a timer (kong/plugins/rate-limiting/handler.lua),
for every policy, so concurrent requests can pass on the same count.
`;
const mb = (n: number) => (n / 2 ** 20).toFixed(1);
const snapshotSection = `
## Snapshots: from the database to a compiled config

One config per size (\`bench/snapshot.ts\`): a tenth each of services, routes (a host and a path
each) and plugins (key-auth and rate-limiting), the rest consumers with a key-auth credential each;
last, DESIGN.md's large case: 10k services, routes and plugins, and 50k consumers, each with its
key-auth credential (130k entities).
The CP imports it as a kong.yml (validate and write, Kong's \`POST /config\`), exports it in one
read, hashes it (Kong's config hash) and seals it (JSON, gzip, ES384 signature); the DP verifies
the signature and digest, inflates and parses it, and compiles the router, upstreams, plugin
scopes and credential indexes. Heap: what the opened and compiled config holds in V8 (Node's,
the engine workerd runs), measured after a full GC.

| entities | import ms | export ms | hash ms | JSON MiB | gzip MiB | gzip ms | seal ms (JSON + gzip + sign) | verify ms | open ms (verify + inflate + parse) | compile ms | heap MiB |
|---|---|---|---|---|---|---|---|---|---|---|---|
${snapshotRows.map((r) => `| ${r.entities} | ${f(r.importMs)} | ${f(r.exportMs)} | ${f(r.hashMs)} | ${mb(r.jsonBytes)} | ${mb(r.gzipBytes)} | ${f(r.gzipMs)} | ${f(r.sealMs)} | ${f(r.verifyMs)} | ${f(r.openMs)} | ${f(r.compileMs)} | ${mb(r.heapBytes)} |`).join("\n")}

Shapes: ${snapshotRows.map((r) => `${r.entities}: ${r.shape}`).join("; ")}.

The control plane's publisher exports and builds after every write, and keeps what it made of each
row and each run of about 256 entities between builds: it reads only the rows written since its
last export (by a transaction from that export's snapshot on, told by the rows' \`xmin\`), counts
each table's rows, and lists a table's ids and versions only when rows were deleted from it; a run
whose entities are unchanged is not hashed or compressed again. Its first build reads and
compresses everything; after a write to one consumer through the DAO (the Admin API's path), it
reads that row and compresses one run. Baseline: the full rebuild above (export + hash + seal), in the same run. The Node control
plane compresses the runs on threads of its own (\`control-plane/node/deflate-threads.ts\`, one per
core but the building one's) while it makes the next run's text and the config hash; the build
with every run compressed on the building thread, as the publisher did before (and as the managed
CP's Worker does), is measured after the others, on a fresh export. The Node control plane and
the managed CP's Hub read each table's rows one by one as Postgres sends them
(\`control-plane/db/pg-snapshot-read.ts\`). Last, fresh exports (no rows kept from an earlier one)
with rows streamed and with each table's rows read whole before they are converted, as drizzle's
transaction reads them (the way before, and still PGlite's), ${EXPORT_PAIRS} of each in turns, medians.

| entities | first build: export ms | fresh export ms, rows streamed | fresh export ms, rows read whole | ratio | build ms (hash + gzip + sign) | build ms, compressed on the building thread | ratio | after one write: export ms | build ms | total ms | ratio to the full rebuild | rows read | runs compressed | kept between builds MiB |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${snapshotRows.map((r) => `| ${r.entities} | ${f(r.firstExportMs)} | ${f(r.streamedExportMs)} | ${f(r.wholeExportMs)} | ${f(r.streamedExportMs / r.wholeExportMs)} | ${f(r.firstBuildMs)} | ${f(r.inlineBuildMs)} | ${f(r.firstBuildMs / r.inlineBuildMs)} | ${f(r.writeExportMs)} | ${f(r.writeBuildMs)} | ${f(r.writeExportMs + r.writeBuildMs)} | ${f((r.writeExportMs + r.writeBuildMs) / (r.exportMs + r.hashMs + r.sealMs))} | ${r.writeRead} of ${r.rows} | ${r.writeSegments} of ${r.segments} | ${mb(r.cacheBytes)} |`).join("\n")}

A control plane makes its first build as it starts, in a process that has compiled nothing yet and
whose heap is at its smallest; the first build above follows the import in the same process. The
same first export and build, each in a new process (\`bench/first-build.ts\`), ${NEW_PROCESS_RUNS} in turn, medians.
A node keeps the last snapshot it signed in its prefix; started again with the config unchanged,
it serves that one while its first build runs. The last column is that restart: a new process
reads the kept file, checks its signature and digests, and reads the config version (the baseline
is the new process's first build, same run):

| entities | export ms | build ms | total ms | ratio to the first build above | restart with the snapshot kept: ms until it serves | ratio to the new process's build |
|---|---|---|---|---|---|---|
${snapshotRows.map((r) => `| ${r.entities} | ${f(r.newProcessExportMs)} | ${f(r.newProcessBuildMs)} | ${f(r.newProcessExportMs + r.newProcessBuildMs)} | ${f((r.newProcessExportMs + r.newProcessBuildMs) / (r.firstExportMs + r.firstBuildMs))} | ${f(r.newProcessRestoreMs)} | ${f(r.newProcessRestoreMs / (r.newProcessExportMs + r.newProcessBuildMs))} |`).join("\n")}

${restThreadSection(restRow, 3 * restShape.services + 2 * restShape.consumers, cpus().length)}
Target (DESIGN.md): snapshot build+sign ≤ 1 s at the large case (the last row of each table).

The managed CP builds in its Hub, a Durable Object: one isolate, which has 128 MB at the edge. The
same database (the last row's config), its Worker in workerd (\`bench/hub-heap.ts\`), the Hub's
memory read through workerd's inspector as for the DP below: before it builds, after its first
build, and after a build that follows one write to a consumer through its Admin API, each after a
full collection; and the most seen meanwhile, garbage included. Times: from the Hub's first call,
and from the write, until it holds the snapshot.

| entities | first build ms | after one write ms | before: JS + buffers MiB | built: JS MiB | buffers MiB | after the write: JS + buffers MiB | most seen MiB |
|---|---|---|---|---|---|---|---|
| ${hubRow.entities} | ${f(hubRow.firstBuildMs)} | ${f(hubRow.writeBuildMs)} | ${mb(hubRow.empty.jsBytes + hubRow.empty.bufferBytes)} | ${mb(hubRow.built.jsBytes)} | ${mb(hubRow.built.bufferBytes)} | ${mb(hubRow.rebuilt.jsBytes + hubRow.rebuilt.bufferBytes)} | ${mb(hubRow.peakBytes)} |

A data plane keeps a config's consumers and credentials in its node's storage when there are more
than \`data_plane_consumers_in_memory\` (20000 by default), and its isolates then open and compile the
rest alone; the node reads the cold section one entity at a time into SQLite:

| entities | isolate: open ms (hot section only) | isolate: compile ms | isolate heap MiB | ratio to all in memory | node: read the cold section ms |
|---|---|---|---|---|---|
${snapshotRows.map((r) => `| ${r.entities} | ${f(r.hotOpenMs)} | ${f(r.hotCompileMs)} | ${mb(r.hotHeapBytes)} | ${f(r.hotHeapBytes / r.heapBytes)} | ${f(r.coldReadMs)} |`).join("\n")}

The same snapshots taken by a DP in workerd, each by a fresh one, its isolate's memory read through
workerd's inspector (\`bench/isolate-heap.ts\`): JS objects and the memory behind ArrayBuffers (outside
V8's heap, counted by an isolate's limit all the same), after a full collection before any config (the
baseline) and once the config is served. Last, the most seen in use while the config was taken:
sampled between tasks every few milliseconds, garbage included (workerd runs here without a memory
limit, so V8 collects late; what stays alive is the column before). The tests take the large case,
the 250k consumers and the last row in a workerd whose V8 heap may not pass 64 MiB
(\`tests/integration/large-config.workerd.test.ts\`). Locally the DP node runs in the
same isolate as the Worker, so these count both. Then ${MANY_CONSUMERS} consumers with a key-auth key each
behind one route (the hundreds of thousands of credentials a Kong data plane holds in every worker),
whose last key is sent once the config is served: the isolate looks it up in the node. The last
row is a snapshot near the largest \`cluster_max_payload\` (${mb(MAX_CLUSTER_PAYLOAD)} MiB), which the node
holds whole while it takes it. Taken: from the snapshot sent until the DP serves it.

| config | sent MiB | consumers in the node | baseline: JS + buffers MiB | with the config: JS MiB | buffers MiB | ratio to the baseline | most seen while taking it MiB | taken in s | a stored key's first request ms |
|---|---|---|---|---|---|---|---|---|---|
${heapRows.map((r) => `| ${r.label} | ${mb(r.bytes)} | ${r.stored ? "yes" : "no"} | ${mb(r.empty.jsBytes + r.empty.bufferBytes)} | ${mb(r.taken.jsBytes)} | ${mb(r.taken.bufferBytes)} | ${f((r.taken.jsBytes + r.taken.bufferBytes) / (r.empty.jsBytes + r.empty.bufferBytes))} | ${mb(r.peakBytes)} | ${f(r.takenMs / 1000)} | ${r.keyMs === undefined ? "-" : f(r.keyMs)} |`).join("\n")}

Target (DESIGN.md): isolate heap ≤ 64 MB at the large case (130000 entities); an isolate has 128 MB.
`;
const coldSection = `
## Cold start from the KV cache

A DP whose node has no state of its own and whose control plane cannot be reached, with ${coldStart.routes}
routes in its KV cache (encrypted): a fresh workerd each run (${coldStart.runs} runs,
\`bench/cold-start.ts\`), the first request timed from the client (the isolate reads the cache,
decrypts and verifies it, compiles the config, then proxies), and a second request on the same
path as the baseline.

| first request ms (median) | max | warm request ms (median, baseline) | ratio |
|---|---|---|---|
| ${f(median(coldStart.firstMs))} | ${f(Math.max(...coldStart.firstMs))} | ${f(median(coldStart.warmMs))} | ${f(median(coldStart.firstMs) / median(coldStart.warmMs))} |

Target (DESIGN.md): ≤ 50 ms at 1k routes.
`;
const all = md + routerSection + overshootSection + snapshotSection + coldSection;
const benchmarksFile = join(import.meta.dirname ?? ".", "../BENCHMARKS.md");
writeFileSync(benchmarksFile, all);
// laid out as the project's formatter wants it, so that `npm run check` passes after a run
execFileSync(join(import.meta.dirname ?? ".", "../node_modules/.bin/biome"), [
  "format",
  "--write",
  benchmarksFile,
]);
console.log(all);
