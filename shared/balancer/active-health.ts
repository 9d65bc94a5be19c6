import { parseTarget } from "./address";
import type { TargetEntity } from "./balancer";

/*
 * Kong's active health checks (healthchecks.active): each target of an upstream with a check
 * interval is probed every `healthy.interval` seconds while healthy and every `unhealthy.interval`
 * while unhealthy; `healthy.successes` successes in a row make it healthy, and `unhealthy.*`
 * failures of a kind in a row make it unhealthy. The probing itself is the host's (the DP node's
 * alarm); this is the bookkeeping.
 */

export type ActiveChecks = {
  type?: string;
  timeout?: number;
  http_path?: string;
  headers?: Record<string, string[]> | null;
  healthy?: { interval?: number; http_statuses?: number[]; successes?: number };
  unhealthy?: {
    interval?: number;
    http_statuses?: number[];
    tcp_failures?: number;
    timeouts?: number;
    http_failures?: number;
  };
};

export type UpstreamWithChecks = { id: string; name: string; healthchecks?: { active?: ActiveChecks } };

export type Probe = {
  key: string;
  upstreamId: string;
  host: string;
  port: number;
  type: "http" | "https" | "tcp";
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
};

export type ProbeOutcome = { status: number } | { error: "tcp" | "timeout" };

type State = {
  probe: Probe;
  checks: ActiveChecks;
  healthy: boolean;
  successes: number;
  httpFailures: number;
  tcpFailures: number;
  timeouts: number;
  nextAt: number;
};

/** The key a target's health is known by, on the node, in isolates and in reports to the CP. */
export const healthKey = (upstreamId: string, host: string, port: number) =>
  `${upstreamId}|${host.includes(":") ? `[${host}]` : host}:${port}`;

export class ActiveHealth {
  private readonly states = new Map<string, State>();

  constructor(upstreams: UpstreamWithChecks[], targets: TargetEntity[], now: number) {
    for (const u of upstreams) {
      const checks = u.healthchecks?.active;
      if (!checks || !((checks.healthy?.interval ?? 0) > 0 || (checks.unhealthy?.interval ?? 0) > 0))
        continue;
      for (const t of targets) {
        const owner = typeof t.upstream === "string" ? t.upstream : t.upstream?.id;
        if (owner !== u.id || t.weight <= 0) continue;
        const { host, port } = parseTarget(t.target);
        const key = healthKey(u.id, host, port);
        const type = checks.type === "https" || checks.type === "tcp" ? checks.type : "http";
        const headers: Record<string, string> = {};
        for (const [name, values] of Object.entries(checks.headers ?? {})) headers[name] = values.join(", ");
        this.states.set(key, {
          probe: {
            key,
            upstreamId: u.id,
            host,
            port,
            type,
            path: checks.http_path ?? "/",
            headers,
            timeoutMs: (checks.timeout ?? 1) * 1000,
          },
          checks,
          healthy: true,
          successes: 0,
          httpFailures: 0,
          tcpFailures: 0,
          timeouts: 0,
          nextAt: (checks.healthy?.interval ?? 0) > 0 ? now : Number.POSITIVE_INFINITY,
        });
      }
    }
  }

  /** Keeps what was learned of targets that are still there (a new config, the same targets). */
  carryOver(previous: ActiveHealth | undefined): void {
    if (!previous) return;
    for (const [key, s] of this.states) {
      const old = previous.states.get(key);
      if (old)
        Object.assign(s, {
          healthy: old.healthy,
          successes: old.successes,
          httpFailures: old.httpFailures,
          tcpFailures: old.tcpFailures,
          timeouts: old.timeouts,
          nextAt: old.nextAt,
        });
    }
  }

  get empty(): boolean {
    return this.states.size === 0;
  }

  /** The probes whose time has come. */
  due(now: number): Probe[] {
    return [...this.states.values()].filter((s) => s.nextAt <= now).map((s) => s.probe);
  }

  /** When the next probe is due, or undefined with nothing to check. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const s of this.states.values()) if (next === undefined || s.nextAt < next) next = s.nextAt;
    return next;
  }

  record(key: string, outcome: ProbeOutcome, now: number): void {
    const s = this.states.get(key);
    if (!s) return;
    const healthy = s.checks.healthy ?? {};
    const unhealthy = s.checks.unhealthy ?? {};
    const trip = (count: number, limit: number | undefined) => (limit ?? 0) > 0 && count >= (limit ?? 0);
    const fail = () => {
      s.successes = 0;
      if (
        trip(s.httpFailures, unhealthy.http_failures) ||
        trip(s.tcpFailures, unhealthy.tcp_failures) ||
        trip(s.timeouts, unhealthy.timeouts)
      ) {
        s.healthy = false;
      }
    };
    if ("error" in outcome) {
      if (outcome.error === "tcp") s.tcpFailures++;
      else s.timeouts++;
      fail();
    } else if (s.probe.type === "tcp" || healthy.http_statuses?.includes(outcome.status)) {
      s.successes++;
      s.httpFailures = 0;
      s.tcpFailures = 0;
      s.timeouts = 0;
      if (trip(s.successes, healthy.successes)) s.healthy = true;
    } else if (unhealthy.http_statuses?.includes(outcome.status)) {
      s.httpFailures++;
      fail();
    }
    // Kong: a state whose interval is 0 is not probed
    const interval = (s.healthy ? healthy.interval : unhealthy.interval) ?? 0;
    s.nextAt = interval > 0 ? now + interval * 1000 : Number.POSITIVE_INFINITY;
  }

  /** Every checked target's health, by key. */
  snapshot(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const [key, s] of this.states) out[key] = s.healthy;
    return out;
  }
}
