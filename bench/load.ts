/** Closed-loop load: `concurrency` clients sending requests back to back for `ms`. */
export async function load(url: string, opts: { concurrency: number; ms: number }) {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + opts.ms;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const r = await fetch(url);
          await r.arrayBuffer();
          if (r.status !== 200) errors++;
          else latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return { rps: (latencies.length / opts.ms) * 1000, p50: q(0.5), p99: q(0.99), ok: latencies.length, errors };
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}
