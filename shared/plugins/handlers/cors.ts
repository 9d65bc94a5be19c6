import type { PluginHandler, PluginRequest } from "../runtime/types";

type Config = {
  origins: string[] | null;
  headers: string[] | null;
  exposed_headers: string[] | null;
  methods: string[] | null;
  max_age: number | null;
  credentials: boolean;
  private_network: boolean;
  preflight_continue: boolean;
  allow_origin_absent?: boolean;
};

type Domain = { domain: string; host: string };
type Allowed = { regex: RegExp; byHost: boolean } | (Domain & { byHost: boolean });

/** Kong's `normalize_origin`: scheme://host[:port], the scheme's default port left out. */
function normalize(origin: string): Domain {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/:?#]+)(?::(\d+))?/.exec(origin);
  if (!m) return { domain: origin, host: origin };
  const [, scheme = "", host = "", rawPort] = m;
  const port =
    (scheme === "http" && rawPort === "80") || (scheme === "https" && rawPort === "443")
      ? undefined
      : rawPort;
  return { domain: `${scheme}://${host}${port ? `:${port}` : ""}`, host };
}

const compiled = new WeakMap<object, Allowed[]>();

function allowedOrigins(conf: Config): Allowed[] {
  let list = compiled.get(conf);
  if (!list) {
    list = (conf.origins ?? []).map((entry) => {
      const byHost = !entry.includes(":");
      if (/[^A-Za-z0-9.:/-]/.test(entry)) {
        let source = entry.endsWith("$") ? entry : `${entry}$`;
        if (source.startsWith("^")) source = source.slice(1);
        return { regex: new RegExp(`^(?:${source})`), byHost };
      }
      return { ...normalize(entry), byHost };
    });
    compiled.set(conf, list);
  }
  return list;
}

/** Kong's `configure_origin`: sets Access-Control-Allow-Origin; true when every origin is allowed. */
function configureOrigin(conf: Config, headers: Headers, origin: string | null, adding: boolean): boolean {
  const origins = conf.origins ?? [];
  if (origins.length === 0 || (origins.length === 1 && origins[0] === "*")) {
    headers.set("access-control-allow-origin", "*");
    return true;
  }
  if (adding) headers.append("vary", "Origin");
  else headers.set("vary", "Origin");
  if (origins.length === 1 && /^[A-Za-z0-9.:/-]+$/.test(origins[0] as string)) {
    headers.set("access-control-allow-origin", origins[0] as string);
    return false;
  }
  if (origin) {
    if (origins.includes("*")) {
      headers.set("access-control-allow-origin", "*");
      return true;
    }
    const request = normalize(origin);
    for (const allowed of allowedOrigins(conf)) {
      const found =
        "regex" in allowed
          ? allowed.regex.test(allowed.byHost ? request.host : request.domain)
          : request.domain === allowed.domain;
      if (found) {
        headers.set("access-control-allow-origin", request.domain);
        return false;
      }
    }
  }
  headers.delete("access-control-allow-origin");
  return false;
}

function configureCredentials(
  conf: Config,
  headers: Headers,
  allowAll: boolean,
  origin: string | null,
  adding: boolean,
) {
  if (!conf.credentials) return;
  if (!allowAll) {
    headers.set("access-control-allow-credentials", "true");
    return;
  }
  if (origin) {
    if (adding) headers.append("vary", "Origin");
    else headers.set("vary", "Origin");
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-allow-credentials", "true");
  }
}

const isPreflight = (req: PluginRequest) =>
  req.method === "OPTIONS" &&
  !!req.headers.get("origin") &&
  !!req.headers.get("access-control-request-method");

/** Kong's cors: preflight requests answered by the gateway, CORS headers on every other response. */
export const cors: PluginHandler<Config> = {
  name: "cors",
  priority: 2000,
  access(req, conf) {
    if (!isPreflight(req) || conf.preflight_continue) return undefined;
    const origin = req.headers.get("origin");
    const headers = new Headers();
    const allowAll = configureOrigin(conf, headers, origin, false);
    configureCredentials(conf, headers, allowAll, origin, false);
    if (conf.headers && conf.headers.length > 0)
      headers.set("access-control-allow-headers", conf.headers.join(","));
    else {
      const requested = req.headers.get("access-control-request-headers");
      if (requested) headers.set("access-control-allow-headers", requested);
    }
    headers.set(
      "access-control-allow-methods",
      conf.methods ? conf.methods.join(",") : "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
    );
    if (conf.max_age !== null && conf.max_age !== undefined)
      headers.set("access-control-max-age", String(conf.max_age));
    if (conf.private_network && req.headers.get("access-control-request-private-network") === "true") {
      headers.set("access-control-allow-private-network", "true");
    }
    const out: Record<string, string> = {};
    headers.forEach((v, k) => {
      out[k] = v;
    });
    return { status: 200, headers: out };
  },
  headerFilter(req, conf, headers) {
    if (isPreflight(req)) return;
    const origin = req.headers.get("origin");
    if (!origin && !conf.allow_origin_absent) return;
    const allowAll = configureOrigin(conf, headers, origin, true);
    configureCredentials(conf, headers, allowAll, origin, true);
    if (conf.exposed_headers && conf.exposed_headers.length > 0) {
      headers.set("access-control-expose-headers", conf.exposed_headers.join(","));
    }
  },
};
