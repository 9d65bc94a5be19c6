export const HELP = `Usage: lintel migrations up [OPTIONS]

Applies the pending database migrations (Lintel also applies them when a control plane starts).
The database is Postgres when KONG_PG_HOST or DATABASE_URL is set, otherwise the embedded one in
the prefix folder (KONG_PREFIX, default .lintel).

Options:
  -c, --conf FILE       A kong.conf-style file of options`;
