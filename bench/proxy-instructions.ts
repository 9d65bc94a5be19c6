import { join } from "node:path";
import { type CountTarget, countInstructions } from "./instructions";
import { median } from "./load";
import { waitServedOn } from "./propagation";

/*
 * The proxy's instructions per request (`npm run bench`): the bare Worker, Kong's runtime calls in
 * parts, and the DP with and without plugins, each counted under callgrind on workerd's own socket.
 */

/** Requests per pass, and before the first: enough for V8 to have compiled the hot code. */
const REQUESTS = 600;
const WARM = 2000;

/** Per target: the median of the passes, and every pass. */
export type InstructionCounts = Record<string, { median: number; all: number[] }>;

const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);

export async function countProxyInstructions(opts: {
  dir: string;
  upstreamUrl: string;
  /** The DP's bindings, its CP's address among them (the CP holds the benchmark's routes). */
  dpBindings: Record<string, string>;
  log: (m: string) => void;
}): Promise<InstructionCounts> {
  const { dir, log } = opts;
  log("proxy: instructions per request under callgrind, each Worker on workerd's own socket");
  const reference = (name: string, file: string, bindings: Record<string, string> = {}): CountTarget => ({
    options: {
      prefix: join(dir, `counted-${name}`),
      host: "127.0.0.1",
      port: 0,
      quiet: true,
      bindings: { BENCH_UPSTREAM: opts.upstreamUrl, ...bindings },
      entry: join(import.meta.dirname ?? ".", "workers", file),
      wakeNode: false,
    },
    paths: { [name]: "/bench/x" },
  });
  const countedDp = (
    name: string,
    bindings: Record<string, string>,
    paths: Record<string, string>,
  ): CountTarget => ({
    options: {
      prefix: join(dir, `counted-${name}`),
      host: "127.0.0.1",
      port: 0,
      quiet: true,
      bindings: { ...opts.dpBindings, ...bindings },
    },
    ready: async (url: string) => {
      for (const path of Object.values(paths)) await waitServedOn(url, path.replace("/x", "/warm"), 60_000);
    },
    paths,
  });
  const counts = await countInstructions(
    [
      reference("baseline", "baseline.ts"),
      reference("kongCalls", "kong-calls.ts"),
      reference("kongRequest", "kong-calls.ts", { KONG_CALLS: "request" }),
      reference("kongTimer", "kong-calls.ts", { KONG_CALLS: "timer" }),
      reference("kongResponse", "kong-calls.ts", { KONG_CALLS: "response" }),
      countedDp(
        "counted",
        {},
        {
          lintel: "/bench/x",
          plugins: "/plugged/x?apikey=bench-key",
          keyAuth: "/keyed/x?apikey=bench-key",
          rateLimiting: "/limited/x",
        },
      ),
      countedDp(
        "counted-quiet",
        { KONG_HEADERS: "off", KONG_HEADERS_UPSTREAM: "off" },
        { headersOff: "/bench/x" },
      ),
    ],
    { requests: REQUESTS, warm: WARM, passes: 3, log },
  );
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, { median: median(v), all: v }]));
}

/** BENCHMARKS.md's section on the counts. */
export function instructionsSection(counts: InstructionCounts): string {
  const k = (n: number) => `${Math.round(n / 1000)}k`;
  const at = (name: string) => counts[name]?.median ?? Number.NaN;
  const base = at("baseline");
  const line = (label: string, name: string) =>
    `| ${label} | ${k(at(name))} | ${(counts[name]?.all ?? []).map(k).join(", ")} | ${f(base / at(name))} | ${k(at(name) - base)} |`;
  const own = at("lintel") - at("kongCalls");
  return `## Proxy: instructions per request

The same Workers, each in a workerd run under valgrind's callgrind, which counts every instruction
the process runs (\`bench/instructions.ts\`): the runtime's own work, the Worker's JavaScript and its
garbage collection, for ${REQUESTS} requests, 8 at a time, after ${WARM} that let V8 compile the hot code;
three passes, median. Unlike time, the count does not move with what else the machine is doing:
the passes agree within a few per cent (a pass with a full collection in it stands out). From one
run to the next, the same DP's count has moved by up to 14 % (557k to 634k per request on one
machine: V8 compiles and collects at other moments in another workerd): compare within a run, and
trust a change of less than that only when several runs agree. Each Worker is served on workerd's own socket, as the edge
runs it, without the development Workers Miniflare puts in front (\`request.cf\`, logging) and
behind (\`CF-Connecting-IP\` stripped from each subrequest), which the throughput table above
includes for every target alike.

| target | instructions per request | passes | baseline ÷ target | over the baseline |
|---|---|---|---|---|
${line("bare pass-through Worker (baseline)", "baseline")}
${line("Kong's runtime calls: the request's headers only", "kongRequest")}
${line("Kong's runtime calls: the timeout timer only", "kongTimer")}
${line("Kong's runtime calls: the response copied with Kong's headers only", "kongResponse")}
${line("Kong's runtime calls, all three (`bench/workers/kong-calls.ts`)", "kongCalls")}
${line("Lintel DP (router, headers, proxy)", "lintel")}
${line("Lintel DP, `headers = off`", "headersOff")}
${line("Lintel DP + key-auth + rate-limiting (local)", "plugins")}
${line("Lintel DP + key-auth alone", "keyAuth")}
${line("Lintel DP + rate-limiting (local) alone", "rateLimiting")}

Where the Worker is the bottleneck, baseline ÷ target is the throughput ratio it can reach. Kong's
runtime calls alone, with none of Lintel's code, are at ${f(base / at("kongCalls"))} of the bare Worker;
Lintel's own code (config, router, options, logging) adds ${k(own)} instructions to them, ${Math.round((100 * own) / at("lintel"))} % of the DP's
request.
`;
}
