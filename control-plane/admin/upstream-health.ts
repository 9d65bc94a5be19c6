import type { Hono } from "hono";
import type { Daos } from "../dao";
import { EntityDao } from "../dao/entity-dao";
import { kongError, notFound } from "./kong-response";

/** What the data planes report of each target (`upstream id|host:port`), by DP node id. */
export type TargetHealthReports = Record<string, Array<{ id: string; health: "HEALTHY" | "UNHEALTHY" }>>;

export type Checks = {
  active?: { healthy?: { interval?: number }; unhealthy?: { interval?: number } };
  passive?: {
    unhealthy?: { http_failures?: number; tcp_failures?: number; timeouts?: number };
  };
};

/** Whether Kong would run any health check for the upstream. */
export function checksOn(healthchecks: Checks | null | undefined): boolean {
  const a = healthchecks?.active;
  const p = healthchecks?.passive?.unhealthy;
  return (
    (a?.healthy?.interval ?? 0) > 0 ||
    (a?.unhealthy?.interval ?? 0) > 0 ||
    (p?.http_failures ?? 0) > 0 ||
    (p?.tcp_failures ?? 0) > 0 ||
    (p?.timeouts ?? 0) > 0
  );
}

export function targetKey(upstreamId: string, target: string): string {
  return `${upstreamId}|${target}`;
}

/**
 * Kong's `/upstreams/{upstream}/health`, from what the data planes report: a target is UNHEALTHY
 * when a DP's active checks found it so, HEALTHCHECKS_OFF when the upstream has no checks.
 * `data.data_planes` (Lintel's) says which DP reported what; the reports are those of the DPs
 * connected to this control plane node.
 */
export function mountUpstreamHealth(
  app: Hono,
  deps: { daos: Daos; nodeId: string; reports: () => Promise<TargetHealthReports> | TargetHealthReports },
): void {
  app.get("/upstreams/:upstream/health", async (c) => {
    const found = await deps.daos.upstreams.lookup(c.req.param("upstream"));
    if (!found.ok) return kongError(c, found.error);
    const upstream = found.value;
    if (!upstream) return notFound(c);
    const on = checksOn(upstream.healthchecks as Checks | null);
    const reports = await deps.reports();
    const healthOf = (target: string) => {
      if (!on) return "HEALTHCHECKS_OFF";
      const seen = reports[targetKey(upstream.id, target)] ?? [];
      return seen.some((r) => r.health === "UNHEALTHY") ? "UNHEALTHY" : "HEALTHY";
    };
    if (c.req.query("balancer_health") === "1") {
      const targets = (
        await deps.daos.targets.page(10_000, undefined, { column: "upstream_id", value: upstream.id })
      ).data;
      const weights = targets.map((t) => ({ weight: Number(t.weight), health: healthOf(String(t.target)) }));
      const total = weights.reduce((s, t) => s + t.weight, 0);
      const up = weights.reduce((s, t) => s + (t.health === "UNHEALTHY" ? 0 : t.weight), 0);
      const threshold = Number((upstream.healthchecks as { threshold?: number } | null)?.threshold ?? 0);
      const health = !on
        ? "HEALTHCHECKS_OFF"
        : total > 0 && (up / total) * 100 >= threshold
          ? "HEALTHY"
          : "UNHEALTHY";
      return c.json({ data: { id: upstream.id, health }, next: null, node_id: deps.nodeId });
    }
    const paging = EntityDao.parsePaging(c.req.query("size"), c.req.query("offset"));
    if (!paging.ok) return kongError(c, paging.error);
    const page = await deps.daos.targets.page(paging.value.size, paging.value.after, {
      column: "upstream_id",
      value: upstream.id,
    });
    const data = await Promise.all(
      page.data.map(async (t) => {
        const shown = await deps.daos.targets.present(t);
        const target = String(t.target);
        const health = healthOf(target);
        const colon = target.lastIndexOf(":");
        return {
          ...shown,
          health,
          data: {
            addresses: [
              {
                ip: target.slice(0, colon).replace(/^\[|\]$/g, ""),
                port: Number(target.slice(colon + 1)),
                health,
                weight: t.weight,
              },
            ],
            data_planes: reports[targetKey(upstream.id, target)] ?? [],
          },
        };
      }),
    );
    const next = page.offset
      ? `/upstreams/${encodeURIComponent(c.req.param("upstream"))}/health?offset=${encodeURIComponent(page.offset)}`
      : null;
    return c.json({ data, ...(page.offset ? { offset: page.offset } : {}), next, node_id: deps.nodeId });
  });
}
