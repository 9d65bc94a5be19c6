import { type LoadResult, pairedCpuRatio, pairedRatio } from "./load";

/** BENCHMARKS.md's section on the proxy's throughput: every target measured in the same rounds. */
export type ProxyResults = Record<
  | "direct"
  | "baseline"
  | "baselineAgain"
  | "kongCalls"
  | "lintel"
  | "headersOff"
  | "plugins"
  | "keyAuth"
  | "rateLimiting"
  | "bareDirect"
  | "lintelDirect",
  LoadResult
>;

const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);

export function proxySection(r: ProxyResults): string {
  const { direct, baseline, baselineAgain, kongCalls, lintel, headersOff, plugins, keyAuth, rateLimiting } =
    r;
  const { bareDirect, lintelDirect } = r;
  const cpuCell = (t: LoadResult, cell: (t: LoadResult) => string) =>
    t.cpuPerRequest === undefined ? "-" : cell(t);
  const row = (name: string, t: LoadResult) =>
    `| ${name} | ${f(t.rps)} | ${f(t.p50)} | ${f(t.p99)} | ${f(pairedRatio(t, baseline))} | ${cpuCell(t, (t) => f(t.cpuPerRequest ?? 0))} | ${cpuCell(t, (t) => f(pairedCpuRatio(t, baseline)))} | ${t.errors} |`;
  const roundRatios = (t: LoadResult) =>
    (t.rounds ?? []).map((rps, i) => f(rps / (baseline.rounds?.[i] ?? rps))).join(", ");
  return `## Proxy throughput and latency

Baseline: a bare pass-through Worker (one \`fetch\` to the upstream, \`bench/workers/baseline.ts\`) served
the same way as the DP: same bundling, same workerd, same Durable Object binding.

| target | req/s | p50 ms | p99 ms | ratio to baseline | workerd CPU µs per request | CPU ratio (baseline ÷ target) | errors |
|---|---|---|---|---|---|---|---|
${row("upstream directly (no Worker)", direct)}
${row("bare pass-through Worker (baseline)", baseline)}
${row("the same bare Worker in a second workerd (the noise between two processes)", baselineAgain)}
${row("Kong's runtime calls, no Lintel code (`bench/workers/kong-calls.ts`)", kongCalls)}
${row("Lintel DP (router, headers, proxy)", lintel)}
${row("Lintel DP, `headers = off` (no Via, latency headers, request id)", headersOff)}
${row("Lintel DP + key-auth + rate-limiting (local)", plugins)}
${row("Lintel DP + key-auth alone", keyAuth)}
${row("Lintel DP + rate-limiting (local) alone", rateLimiting)}
${row("bare Worker on workerd's own socket (no Miniflare Workers in front or behind)", bareDirect)}
${row("Lintel DP on workerd's own socket (as `lintel dp` and `lintel start` serve it)", lintelDirect)}

The last two rows serve the Worker on workerd's own socket, as the edge runs it, without the
development Workers Miniflare otherwise puts in front (\`request.cf\`, \`Accept-Encoding\`, logging)
and behind (\`CF-Connecting-IP\` stripped from each subrequest); their ratios are still to the
baseline above. The DP there serves ${f(lintelDirect.rps / lintel.rps)} times the requests a second of the DP behind
Miniflare's Workers, and is at ${f(pairedRatio(lintelDirect, bareDirect))} of the bare Worker served the same way: with
the runtime's fixed cost smaller, Kong's header work weighs more (the instruction counts below).

The second bare Worker is the baseline again, in a process of its own: its ratio is how far two
identical Workers differ in this run, so differences smaller than that are noise. The Worker with
Kong's runtime calls makes the calls the DP needs for Kong's default headers (the request's headers
copied and changed, a timer for the upstream timeouts, the response copied to add headers) with
none of Lintel's code: against it, the DP's throughput ratio is ${f(pairedRatio(lintel, kongCalls))} and its
CPU ratio ${f(pairedCpuRatio(lintel, kongCalls))}, which is what Lintel's own code (config, router, options,
logging) costs; what the baseline has over it is the runtime's.

Each plugin alone runs on a route of its own in the same DP; its CPU ratio against the DP's plain
route (plain ÷ with the plugin) is what it adds: key-auth ${f(pairedCpuRatio(keyAuth, lintel))}, rate-limiting
${f(pairedCpuRatio(rateLimiting, lintel))} (it counts in a Durable Object through leases, of the hits of 250 ms of the isolate's traffic here).

The rounds' ratios to the baseline: Lintel ${roundRatios(lintel)}; with \`headers = off\`
${roundRatios(headersOff)}; with key-auth and rate-limiting ${roundRatios(plugins)}.

CPU per request is the workerd process's CPU time (Linux's /proc: all its threads, the runtime's
own work included) over the requests of a round, median round; its ratio is the median of the
rounds' ratios. It counts the Worker's work alone (not the client's or the upstream's), and it
is what Workers bill; on a shared machine it moves from round to round about as much as
throughput does.

Target (DESIGN.md): Lintel ≥ 90 % of the baseline, ≥ 75 % with key-auth and rate-limiting.
key-auth looks the key up in an index built with the config; rate-limiting (here \`second =
1000000\`) counts in the Durable Object of its subject, each isolate taking leases of hits at once:
100 at first, then the hits of its last 250 ms of traffic (at most 1 % of the limit), so a few
calls a second.

`;
}
