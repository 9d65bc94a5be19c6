export const HELP = `Usage: lintel start [OPTIONS]

Runs a control plane and a local data plane together (what \`npm start\` runs):
  Admin API on admin_listen (127.0.0.1:8001), cluster listener on cluster_listen (8005),
  proxy on proxy_listen (8000).
Without cluster_cert/cluster_cert_key, a pair is generated in the prefix folder (default
.lintel) on first start. Without KONG_PG_HOST or DATABASE_URL, the embedded database is kept
there too, so a restart keeps the configuration. Ctrl-C stops both.

Options:
  -c, --conf FILE       A kong.conf-style file of options`;
