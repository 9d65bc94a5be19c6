import { Balancer, type TargetEntity, type UpstreamEntity } from "../shared/balancer/balancer";
import type { DeclarativeConfig, ExportedService } from "../shared/declarative/config";

/**
 * Where a service sends requests: straight to its host, or, when its host names an upstream,
 * through that upstream's balancer (Kong's rule).
 */
export type ServiceTarget =
  | { kind: "direct"; scheme: "http" | "https"; host: string; port: number }
  | { kind: "balancer"; scheme: "http" | "https"; balancer: Balancer };

const isHttp = (p: string): p is "http" | "https" => p === "http" || p === "https";

/** One balancer per upstream, built once per config: its round-robin place and health live there. */
export function compileServiceTargets(config: DeclarativeConfig): Map<string, ServiceTarget> {
  const targetsOf = new Map<string, TargetEntity[]>();
  for (const t of (config.targets ?? []) as unknown as TargetEntity[]) {
    const upstream = typeof t.upstream === "string" ? t.upstream : t.upstream?.id;
    if (!upstream) continue;
    const list = targetsOf.get(upstream) ?? [];
    list.push(t);
    targetsOf.set(upstream, list);
  }
  const balancers = new Map<string, Balancer>();
  for (const u of (config.upstreams ?? []) as unknown as UpstreamEntity[]) {
    balancers.set(u.name, new Balancer(u, targetsOf.get(u.id) ?? []));
  }
  const out = new Map<string, ServiceTarget>();
  for (const s of (config.services ?? []) as ExportedService[]) {
    if (!isHttp(s.protocol)) continue; // tcp, grpc...: not proxied by an HTTP data plane
    const balancer = balancers.get(s.host);
    out.set(
      s.id,
      balancer
        ? { kind: "balancer", scheme: s.protocol, balancer }
        : { kind: "direct", scheme: s.protocol, host: s.host.replace(/^\[|\]$/g, ""), port: s.port },
    );
  }
  return out;
}
