import type { DeclarativeConfig } from "../../declarative/config";

type PluginRow = {
  name: string;
  enabled?: boolean;
  protocols?: string[];
  route?: string | { id: string } | null;
  service?: string | { id: string } | null;
  consumer?: string | { id: string } | null;
  config: Record<string, unknown>;
};

export type ResolvedPlugin = {
  config: Record<string, unknown>;
  protocols: string[];
  /** The plugin entity's own route and service: Kong scopes its counters by them. */
  scope: string;
};

const idOf = (v: PluginRow["route"]) => (v == null ? "" : typeof v === "string" ? v : v.id);

/**
 * Kong's plugin scopes: for a plugin name, the most specific enabled configuration wins, in
 * Kong's order of combinations (route+service+consumer, route+consumer, service+consumer,
 * route+service, consumer, route, service, global).
 */
export class PluginScopes {
  private readonly byName = new Map<string, Map<string, ResolvedPlugin>>();
  /**
   * Where plugins are configured without a consumer: globally, on these routes, on these
   * services. A plugin scoped to a consumer runs only once an auth plugin, configured in one of
   * these, has identified one.
   */
  private anyGlobal = false;
  private readonly onRoutes = new Set<string>();
  private readonly onServices = new Set<string>();
  /** The names some of whose configurations are scoped to a consumer. */
  private readonly forConsumers = new Set<string>();

  constructor(config: DeclarativeConfig) {
    for (const p of (config.plugins ?? []) as unknown as PluginRow[]) {
      if (p.enabled === false) continue;
      if (!idOf(p.consumer)) {
        if (idOf(p.route)) this.onRoutes.add(idOf(p.route));
        else if (idOf(p.service)) this.onServices.add(idOf(p.service));
        else this.anyGlobal = true;
      } else this.forConsumers.add(p.name);
      const key = `${idOf(p.route)}|${idOf(p.service)}|${idOf(p.consumer)}`;
      const map = this.byName.get(p.name) ?? new Map<string, ResolvedPlugin>();
      map.set(key, {
        config: p.config ?? {},
        protocols: p.protocols ?? ["http", "https"],
        scope: `${idOf(p.route)}:${idOf(p.service)}`,
      });
      this.byName.set(p.name, map);
    }
  }

  /**
   * Whether any plugin may run on a request matched to `route` (of `service`): none does when no
   * plugin is global or on either, which spares such requests the plugin pipeline.
   */
  mayRun(route: string, service: string | undefined): boolean {
    return (
      this.anyGlobal || this.onRoutes.has(route) || (service !== undefined && this.onServices.has(service))
    );
  }

  /** Whether some configuration of the plugin `name` is scoped to a consumer. */
  byConsumer(name: string): boolean {
    return this.forConsumers.has(name);
  }

  resolve(name: string, route = "", service = "", consumer = ""): ResolvedPlugin | undefined {
    const map = this.byName.get(name);
    if (!map) return undefined;
    // most specific first; each key made only if the ones before it missed
    return (
      (consumer
        ? (map.get(`${route}|${service}|${consumer}`) ??
          map.get(`${route}||${consumer}`) ??
          map.get(`|${service}|${consumer}`))
        : undefined) ??
      map.get(`${route}|${service}|`) ??
      (consumer ? map.get(`||${consumer}`) : undefined) ??
      map.get(`${route}||`) ??
      map.get(`|${service}|`) ??
      map.get("||")
    );
  }
}
