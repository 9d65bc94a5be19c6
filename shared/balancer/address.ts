/**
 * One target of an upstream as the balancers see it. At the edge a target's host is not resolved
 * to IP addresses first (Kong resolves it and balances over each address): the host is the
 * address.
 */
export type Address = {
  targetId: string;
  /** Host name or IP, without brackets. */
  host: string;
  port: number;
  weight: number;
  /** False once health checks took it out of rotation. */
  available: boolean;
};

/** Per request: what the balancer chose, and how often it was asked again (a retry). */
export type Handle = {
  retries: number;
  address?: Address;
  /** Consistent hashing: the continuum slot of the request's hash, kept across retries. */
  slot?: number;
  /** Least connections: the addresses that failed this request. */
  failed?: Set<Address>;
};

export type Algorithm = {
  /** The next address for this request, or undefined when none is available. */
  peer(handle: Handle, valueToHash: string): Address | undefined;
  /** The request is done with its address (least connections counts it). */
  release?(handle: Handle): void;
};

/** Kong's target syntax: `host`, `host:port`, `[v6]` or `[v6]:port`; 8000 when no port is given. */
export function parseTarget(target: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (v6) return { host: v6[1] as string, port: v6[2] ? Number(v6[2]) : 8000 };
  const colon = target.lastIndexOf(":");
  if (colon > 0 && /^\d+$/.test(target.slice(colon + 1))) {
    return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
  }
  return { host: target, port: 8000 };
}
