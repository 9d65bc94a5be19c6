import type { Address, Algorithm, Handle } from "./address";
import { xxhash32 } from "./xxhash32";

/*
 * Kong's three balancing algorithms (kong/runloop/balancer/*.lua), over the addresses of one
 * upstream, with Kong's rules for skipping addresses health checks took out.
 */

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Weighted round-robin: a wheel where each address has weight / gcd(weights) places, shuffled
 * once, walked one place per request.
 */
export function roundRobin(addresses: Address[], random: () => number = Math.random): Algorithm {
  const divisor = addresses.reduce((d, a) => gcd(d, a.weight), 0);
  const wheel: Address[] = [];
  if (divisor > 0) for (const a of addresses) for (let i = 0; i < a.weight / divisor; i++) wheel.push(a);
  for (let i = wheel.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [wheel[i], wheel[j]] = [wheel[j] as Address, wheel[i] as Address];
  }
  let pointer = 0;
  return {
    peer(handle) {
      for (let n = 0; n < wheel.length; n++) {
        pointer = (pointer + 1) % wheel.length;
        const a = wheel[pointer] as Address;
        if (a.available) {
          handle.address = a;
          return a;
        }
      }
      return undefined;
    },
  };
}

const SERVER_POINTS = 160;

/** Kong's continuum position of a string: 1 to `points`. */
function position(value: string, points: number): number {
  return (xxhash32(new TextEncoder().encode(value)) % points) + 1;
}

/**
 * Consistent hashing on Kong's continuum of `slots` places: each address takes places in
 * proportion to its weight (160 per address at equal weights) at the xxHash32 of
 * `"<ip>::<port> <n>"`; a request takes the first address at or below its value's place.
 */
export function consistentHashing(addresses: Address[], slots: number): Algorithm {
  const continuum = new Array<Address | undefined>(slots + 1);
  const total = addresses.reduce((s, a) => s + a.weight, 0);
  const sorted = [...addresses].sort((a, b) =>
    a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port,
  );
  build: for (const a of sorted) {
    let entries = Math.floor((a.weight / total) * sorted.length * SERVER_POINTS);
    if (a.weight > 0 && entries === 0) entries = 1;
    for (let i = 1; i <= entries; i++) {
      const at = position(`${a.host}::${a.port} ${i}`, slots);
      if (continuum[at] === undefined) continuum[at] = a;
      else entries++; // a collision: one more try
      if (i > slots) break build;
    }
  }
  return {
    peer(handle, valueToHash) {
      handle.slot ??= position(valueToHash, slots);
      let index = handle.slot;
      while (index - 1 !== handle.slot) {
        if (index === 0) index = slots;
        const a = continuum[index];
        if (a?.available) {
          handle.address = a;
          return a;
        }
        index--;
      }
      return undefined;
    },
  };
}

/**
 * Least connections: the available address with the lowest (connections + 1) / weight, leaving
 * out those that already failed this request while others remain.
 */
export function leastConnections(addresses: Address[]): Algorithm {
  const active = new Map<Address, number>(addresses.map((a) => [a, 0]));
  const release = (handle: Handle) => {
    if (handle.address) active.set(handle.address, (active.get(handle.address) ?? 1) - 1);
  };
  return {
    peer(handle) {
      if (handle.address) {
        handle.failed ??= new Set();
        handle.failed.add(handle.address);
        release(handle);
        handle.address = undefined;
      }
      const score = (a: Address) => ((active.get(a) ?? 0) + 1) / a.weight;
      const candidates = addresses.filter((a) => a.available && a.weight > 0);
      const fresh = candidates.filter((a) => !handle.failed?.has(a));
      const pool = fresh.length ? fresh : candidates;
      let best: Address | undefined;
      for (const a of pool) if (!best || score(a) < score(best)) best = a;
      if (best) {
        active.set(best, (active.get(best) ?? 0) + 1);
        handle.address = best;
      }
      return best;
    },
    release,
  };
}
