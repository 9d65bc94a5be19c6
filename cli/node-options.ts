import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { generateClusterCertificate } from "../control-plane/node/gen-cert";
import type { Conf } from "../shared/conf/options";

export const CONF_OPTION = { conf: { type: "string", short: "c" } } as const;

/**
 * For `lintel start`: without `cluster_cert`/`cluster_cert_key`, use a pair in the prefix folder,
 * generated on first start.
 */
export async function ensureClusterCertificates(conf: Conf): Promise<{ conf: Conf; generated: boolean }> {
  if (conf.cluster_cert && conf.cluster_cert_key) return { conf, generated: false };
  if (conf.cluster_cert || conf.cluster_cert_key) {
    throw new Error("cluster_cert and cluster_cert_key must be given together");
  }
  mkdirSync(conf.prefix, { recursive: true });
  const cert = join(conf.prefix, "cluster.crt");
  const key = join(conf.prefix, "cluster.key");
  let generated = false;
  if (!existsSync(cert) || !existsSync(key)) {
    if (existsSync(cert) !== existsSync(key)) {
      throw new Error(
        `${existsSync(cert) ? key : cert} is missing; remove ${existsSync(cert) ? cert : key} to generate a new pair`,
      );
    }
    await generateClusterCertificate(cert, key);
    generated = true;
  }
  return { conf: { ...conf, cluster_cert: cert, cluster_cert_key: key }, generated };
}
