import { certificatesDer } from "../shared/cluster/pem";
import { verifyChain } from "../shared/cluster/pki";
import type { OpenOptions } from "../shared/snapshot/codec";
import type { DpConf } from "./env";

const cache = new WeakMap<DpConf, Omit<OpenOptions, "current">>();

/**
 * Who may sign the snapshots a DP applies. Shared mode: the cluster certificate itself. PKI mode:
 * a chain to `cluster_ca_cert` for server authentication, named `cluster_server_name` (or the
 * control plane's host), as Kong's DP checks the CP.
 */
export function snapshotTrust(conf: DpConf): Omit<OpenOptions, "current"> {
  const hit = cache.get(conf);
  if (hit) return hit;
  let options: Omit<OpenOptions, "current">;
  if (conf.cluster_mtls === "pki") {
    const cas = certificatesDer(conf.cluster_ca_cert ?? "");
    const serverName = conf.cluster_server_name ?? new URL(conf.controlPlaneUrl).hostname;
    options = {
      signers: [],
      maxPayload: conf.cluster_max_payload,
      signerChain: async (chain) => {
        const r = await verifyChain(chain, cas, { purpose: "server", now: Date.now(), serverName });
        if (!r.ok) console.error(`[lintel] dp: snapshot signer refused: ${JSON.stringify(r.error)}`);
        return r.ok;
      },
    };
  } else {
    const trusted = [
      ...certificatesDer(conf.cluster_cert),
      ...certificatesDer(conf.cluster_trusted_certs ?? ""),
    ];
    options = { signers: trusted, maxPayload: conf.cluster_max_payload };
  }
  cache.set(conf, options);
  return options;
}
