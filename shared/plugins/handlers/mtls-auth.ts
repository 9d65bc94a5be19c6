import { orAnonymous, setConsumer } from "../runtime/authenticate";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { verifyChain } from "../../cluster/pki";
import { buf, sha256Hex } from "../../util/bytes";
import type { Consumer, PluginHandler, PluginRequest } from "../runtime/types";

type Config = {
  anonymous: string | null;
  consumer_by: Array<"username" | "custom_id">;
  ca_certificates: string[];
  skip_consumer_lookup: boolean;
  authenticated_group_by: "CN" | "DN";
  revocation_check_mode: "SKIP" | "IGNORE_CA_ERROR" | "STRICT";
  default_consumer: string | null;
};

const NO_CERTIFICATE = "No required TLS certificate was sent";
const FAILED = "TLS certificate failed verification";

/**
 * Kong's mtls-auth at the edge: the client certificate of the TLS connection (forwarded by the
 * edge, bound to the TLS session by its fingerprint) verified against the plugin's CA
 * certificates with the cluster's PKI rules, then mapped to a consumer by its common name.
 */
export const mtlsAuth: PluginHandler<Config> = {
  name: "mtls-auth",
  priority: 1600,
  async access(req: PluginRequest, conf, env) {
    if (conf.anonymous && req.credential) return undefined;
    const fail = (message: string) => orAnonymous(req, conf.anonymous, env, { status: 401, message });
    const presented = await req.clientCertificate?.();
    if (!presented || presented.chain.length === 0) return fail(NO_CERTIFICATE);
    if (presented.revoked && conf.revocation_check_mode !== "SKIP") return fail(FAILED);
    const cas = conf.ca_certificates
      .map((id) => env.consumers.caCertificate(id))
      .filter((d): d is Uint8Array => d !== undefined);
    const verified = await verifyChain(presented.chain, cas, { purpose: "client", now: Date.now() });
    if (!verified.ok) return fail(FAILED);
    const leaf = new x509.X509Certificate(buf(presented.chain[0] as Uint8Array));
    const cn = leaf.subjectName.getField("CN")[0];
    const fingerprint = await sha256Hex(presented.chain[0] as Uint8Array);
    const credential = { id: fingerprint, consumer: { id: "" } };
    if (conf.skip_consumer_lookup) {
      const group = conf.authenticated_group_by === "DN" ? leaf.subject : cn;
      req.credential = credential;
      if (group) req.upstreamHeaders.set("x-authenticated-groups", group);
      req.upstreamHeaders.set("x-client-cert-dn", leaf.subject);
      return undefined;
    }
    let consumer: Consumer | undefined;
    if (cn) {
      for (const by of conf.consumer_by) {
        const found = await (by === "username"
          ? env.consumers.consumer(cn)
          : env.consumers.consumerByCustomId(cn));
        consumer = by === "username" && found?.username !== cn ? undefined : found;
        if (consumer) break;
      }
    }
    consumer ??= conf.default_consumer ? await env.consumers.consumer(conf.default_consumer) : undefined;
    if (!consumer) return fail(FAILED);
    setConsumer(req, consumer, { ...credential, consumer: { id: consumer.id } });
    req.upstreamHeaders.set("x-client-cert-dn", leaf.subject);
    return undefined;
  },
};
