export const HELP = `Usage: lintel dp [OPTIONS]

Runs a data plane locally (role = data_plane): the edge-dp Worker in workerd, serving proxy
traffic on proxy_listen (default 0.0.0.0:8000), with its state kept in the prefix folder.
At the edge the same Worker is deployed with \`wrangler deploy\` (see wrangler.toml).

It connects to cluster_control_plane (default 127.0.0.1:8005; locally, plain WebSocket: workerd
cannot present a TLS client certificate) and proves itself with cluster_cert/cluster_cert_key.
Several data planes may run side by side with different KONG_PREFIX and KONG_PROXY_LISTEN.

Options:
  -c, --conf FILE       A kong.conf-style file of options`;
