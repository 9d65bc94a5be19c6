/*
 * Configs of a given size for the benchmarks and the tests at scale, among them DESIGN.md's large
 * case, written as a kong.yml would be.
 */

/** A config's size: so many services (each with a route and a plugin), and consumers. */
export type SnapshotShape = { services: number; consumers: number; label?: string };

/** `n` entities: a tenth each of services, routes and plugins, the rest consumers and credentials. */
export function shapeOf(n: number): SnapshotShape {
  const services = Math.round(n / 10);
  return { services, consumers: Math.round((n - 3 * services) / 2) };
}

/** DESIGN.md's large case: 10k services, routes and plugins, and 50k consumers, each with a key. */
export const DESIGN_LARGE_CASE: SnapshotShape = {
  services: 10_000,
  consumers: 50_000,
  label: "DESIGN.md's large case",
};

/**
 * A kong.yml of the shape: services, each with a route (a host and a path) and a plugin on it
 * (key-auth and rate-limiting in turn), and consumers, each with a key-auth credential.
 */
export function syntheticConfig({ services, consumers }: SnapshotShape): {
  config: Record<string, unknown>;
  shape: string;
} {
  const config = {
    _format_version: "3.0",
    services: Array.from({ length: services }, (_, i) => ({
      name: `s${i}`,
      url: `http://s${i}.internal:8080/v1`,
      routes: [
        {
          name: `r${i}`,
          hosts: [`api${i % 100}.example.com`],
          paths: [`/s${i}`],
          plugins: [
            i % 2
              ? { name: "key-auth" }
              : { name: "rate-limiting", config: { minute: 100, policy: "local" } },
          ],
        },
      ],
    })),
    consumers: Array.from({ length: consumers }, (_, i) => ({
      username: `user-${i}`,
      keyauth_credentials: [{ key: `k-${i.toString(36)}-${(i * 2654435761) % 4294967296}` }],
    })),
  };
  return {
    config,
    shape: `${services} services, ${services} routes, ${services} plugins, ${consumers} consumers, ${consumers} key-auth credentials`,
  };
}
