import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createClusterCertificate } from "../../control-plane/node/gen-cert";
import { type ClusterIdentity, loadClusterIdentity } from "../../shared/cluster/keys";

/** A cluster certificate made at test time, written into `dir`, with its identity loaded. */
export async function clusterCertificate(dir: string, name = "cluster") {
  const pair = await createClusterCertificate();
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, pair.certPem);
  writeFileSync(key, pair.keyPem, { mode: 0o600 });
  const identity = await loadClusterIdentity(pair.certPem, pair.keyPem);
  if (!identity.ok) throw new Error(identity.error.reason);
  return { cert, key, ...pair, identity: identity.value as ClusterIdentity };
}
