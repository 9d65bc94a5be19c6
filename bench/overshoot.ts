import type { LocalDp } from "../cli/local-dp";

export type OvershootRow = {
  policy: "local" | "cluster";
  colos: number;
  limit: number;
  sent: number;
  accepted: number;
  /** What the policy promises: the limit once (cluster), or once per DP node (local). */
  allowed: number;
};

type Post = (path: string, body: unknown) => Promise<Response>;

/**
 * rate-limiting under concurrent load from several DP nodes: one DP Worker in workerd, its
 * requests spread over `colos` colos (each colo has its own DP node and, under `local`, its own
 * counters; under `cluster` every colo counts in the same Durable Object, as at the edge). Each
 * policy gets `sent` requests for one subject, `concurrency` at a time, against an hourly limit;
 * what was let through is compared with what the policy allows.
 */
export async function measureOvershoot(
  post: Post,
  dp: LocalDp,
  opts: { colos: number; limit: number; sent: number; concurrency: number },
): Promise<OvershootRow[]> {
  const rows: OvershootRow[] = [];
  for (const policy of ["cluster", "local"] as const) {
    const name = `overshoot-${policy}`;
    const created = await post("/services/bench/routes", { name, paths: [`/${name}`] });
    if (created.status !== 201) throw new Error(`${name}: the route was not created (${created.status})`);
    await post(`/routes/${name}/plugins`, {
      name: "rate-limiting",
      config: { hour: opts.limit, limit_by: "header", header_name: "x-subject", policy },
    });
    const send = (colo: string, subject: string) =>
      dp.mf.dispatchFetch(`${dp.url}/${name}/x`, {
        headers: { "x-subject": subject },
        cf: { colo } as never,
      });
    // the plugin is in force on every colo (a warm-up subject of its own)
    const deadline = Date.now() + 30_000;
    for (let c = 0; c < opts.colos; c++) {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`${name}: the rate-limiting plugin never reached the DP`);
        const r = await send(`colo-${c}`, "warm-up");
        await r.arrayBuffer();
        if (r.headers.get("x-ratelimit-limit-hour")) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    for (let attempt = 0; ; attempt++) {
      const subject = `measured-${attempt}`;
      const hour = new Date().getUTCHours();
      let next = 0;
      let accepted = 0;
      const worker = async () => {
        while (next < opts.sent) {
          const i = next++;
          const r = await send(`colo-${i % opts.colos}`, subject);
          await r.arrayBuffer();
          if (r.status === 200) accepted++;
          else if (r.status !== 429) throw new Error(`unexpected ${r.status} from ${name}`);
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, worker));
      // a window that turned over mid-run counts twice: measure again
      if (new Date().getUTCHours() !== hour && attempt < 2) continue;
      const allowed = policy === "cluster" ? opts.limit : opts.limit * opts.colos;
      rows.push({ policy, colos: opts.colos, limit: opts.limit, sent: opts.sent, accepted, allowed });
      break;
    }
  }
  return rows;
}
