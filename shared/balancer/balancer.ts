import { type Address, type Algorithm, type Handle, parseTarget } from "./address";
import { consistentHashing, leastConnections, roundRobin } from "./algorithms";

/** The fields of Kong's upstream entity the balancer reads. */
export type UpstreamEntity = {
  id: string;
  name: string;
  algorithm: string;
  hash_on: string;
  hash_fallback: string;
  hash_on_header?: string | null;
  hash_fallback_header?: string | null;
  hash_on_cookie?: string | null;
  hash_on_cookie_path?: string | null;
  hash_on_query_arg?: string | null;
  hash_fallback_query_arg?: string | null;
  hash_on_uri_capture?: string | null;
  hash_fallback_uri_capture?: string | null;
  slots: number;
  host_header?: string | null;
  healthchecks?: {
    threshold?: number;
    passive?: {
      healthy?: { http_statuses?: number[]; successes?: number };
      unhealthy?: {
        http_statuses?: number[];
        tcp_failures?: number;
        timeouts?: number;
        http_failures?: number;
      };
    };
  };
};

export type TargetEntity = { id: string; target: string; weight: number; upstream: string | { id: string } };

/** What the proxy learned from a try, for passive health checks. */
export type Outcome = { status: number } | { error: "tcp" | "timeout" };

type Counters = { successes: number; httpFailures: number; tcpFailures: number; timeouts: number };

/**
 * One upstream's balancer in one isolate: its addresses, Kong's algorithm, and passive health
 * checks counted from the responses this isolate sees.
 */
export class Balancer {
  readonly addresses: Address[];
  private readonly algorithm: Algorithm;
  private readonly counters = new Map<Address, Counters>();

  constructor(
    readonly upstream: UpstreamEntity,
    targets: TargetEntity[],
    random: () => number = Math.random,
  ) {
    this.addresses = targets
      .filter((t) => t.weight > 0)
      .map((t) => ({ targetId: t.id, ...parseTarget(t.target), weight: t.weight, available: true }));
    this.algorithm =
      upstream.algorithm === "consistent-hashing"
        ? consistentHashing(this.addresses, upstream.slots)
        : upstream.algorithm === "least-connections"
          ? leastConnections(this.addresses)
          : roundRobin(this.addresses, random);
  }

  /**
   * Kong's health threshold: the balancer serves while the weight of its available addresses is
   * at least `healthchecks.threshold` percent of all.
   */
  get healthy(): boolean {
    const total = this.addresses.reduce((s, a) => s + a.weight, 0);
    const up = this.addresses.reduce((s, a) => s + (a.available ? a.weight : 0), 0);
    const threshold = this.upstream.healthchecks?.threshold ?? 0;
    return total > 0 && (up / total) * 100 >= threshold;
  }

  /** The address for this try of the request, or why there is none (Kong's messages). */
  peer(handle: Handle, valueToHash: string): Address | { error: string } {
    if (handle.address) handle.retries++;
    if (!this.healthy || this.addresses.length === 0) {
      return { error: "failure to get a peer from the ring-balancer" };
    }
    const a = this.algorithm.peer(handle, valueToHash);
    return a ?? { error: "failure to get a peer from the ring-balancer" };
  }

  /** The try ended: counted by the passive health checks, released for least connections. */
  report(handle: Handle, outcome: Outcome): void {
    const a = handle.address;
    if (!a) return;
    this.algorithm.release?.(handle);
    const passive = this.upstream.healthchecks?.passive;
    if (!passive) return;
    const c = this.counters.get(a) ?? { successes: 0, httpFailures: 0, tcpFailures: 0, timeouts: 0 };
    this.counters.set(a, c);
    const unhealthy = passive.unhealthy ?? {};
    const healthy = passive.healthy ?? {};
    const trip = (count: number, limit: number | undefined) => (limit ?? 0) > 0 && count >= (limit ?? 0);
    if ("error" in outcome) {
      if (outcome.error === "tcp") c.tcpFailures++;
      else c.timeouts++;
      c.successes = 0;
      if (trip(c.tcpFailures, unhealthy.tcp_failures) || trip(c.timeouts, unhealthy.timeouts))
        this.down(a, c);
      return;
    }
    if (unhealthy.http_statuses?.includes(outcome.status)) {
      c.httpFailures++;
      c.successes = 0;
      if (trip(c.httpFailures, unhealthy.http_failures)) this.down(a, c);
    } else if (healthy.http_statuses?.includes(outcome.status)) {
      c.successes++;
      c.httpFailures = 0;
      c.tcpFailures = 0;
      c.timeouts = 0;
      if (!a.available && trip(c.successes, healthy.successes)) a.available = true;
    }
  }

  /** Kong's `/upstreams/{u}/health` view of this isolate's addresses. */
  health(): Array<{ target: string; weight: number; health: "HEALTHY" | "UNHEALTHY" }> {
    return this.addresses.map((a) => ({
      target: a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`,
      weight: a.weight,
      health: a.available ? "HEALTHY" : "UNHEALTHY",
    }));
  }

  private down(a: Address, c: Counters): void {
    a.available = false;
    c.httpFailures = 0;
    c.tcpFailures = 0;
    c.timeouts = 0;
  }
}
