export const HELP = `Usage: lintel cp [OPTIONS]

Runs a control plane node (role = control_plane): Kong's Admin API on admin_listen
(default 127.0.0.1:8001) and the cluster listener on cluster_listen (default 0.0.0.0:8005),
where data planes connect and receive signed config snapshots.

Needs cluster_cert and cluster_cert_key (KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY: a path, PEM
text or base64 PEM); \`lintel hybrid gen_cert\` makes a pair. Several control planes may share one
Postgres database (KONG_PG_HOST... or DATABASE_URL); each needs its own prefix and listens.
With status_listen set (say 127.0.0.1:8007), /status/ready answers 200 while the database
answers and 503 when it does not, for a load balancer or an orchestrator's readiness probe.

Options:
  -c, --conf FILE       A kong.conf-style file of options`;
