import { sha1 } from "@noble/hashes/legacy.js";
import { toHex, utf8 } from "../../util/bytes";
import { secretsEqual } from "../../util/constant-time";
import { orAnonymous, setConsumer } from "../runtime/authenticate";
import type { Exit, PluginHandler, PluginRequest } from "../runtime/types";

type Config = { anonymous: string | null; hide_credentials: boolean; realm: string };

/** `Basic <base64 of user:password>`, as Kong reads it; undefined when it is not that. */
function parseBasic(header: string | null): { username: string; password: string } | undefined {
  const m = header ? /\s*[Bb]asic\s*(.+)/.exec(header) : null;
  if (!m) return undefined;
  let decoded: string;
  try {
    decoded = atob((m[1] as string).trim());
  } catch {
    return undefined;
  }
  const parts = /^([^:]+):(.*)$/s.exec(decoded);
  return parts ? { username: parts[1] as string, password: parts[2] as string } : undefined;
}

/** Kong's basic-auth: Proxy-Authorization, then Authorization, against Kong's SHA-1 of the password. */
export const basicAuth: PluginHandler<Config> = {
  name: "basic-auth",
  priority: 1100,
  async access(req: PluginRequest, conf, env) {
    if (conf.anonymous && req.credential) return undefined;
    const unauthorized: Exit = {
      status: 401,
      message: "Unauthorized",
      headers: { "www-authenticate": `Basic realm="${conf.realm}"` },
    };
    const fail = () => orAnonymous(req, conf.anonymous, env, unauthorized);
    const fromProxy = parseBasic(req.headers.get("proxy-authorization"));
    const fromAuth = parseBasic(req.headers.get("authorization"));
    if (conf.hide_credentials) {
      req.upstreamHeaders.delete("proxy-authorization");
      req.upstreamHeaders.delete("authorization");
    }
    if (req.headers.get("authorization") === null && req.headers.get("proxy-authorization") === null)
      return fail();
    let given = fromProxy;
    let credential = given ? await env.consumers.basicAuth(given.username) : undefined;
    if (!credential) {
      given = fromAuth;
      credential = given ? await env.consumers.basicAuth(given.username) : undefined;
    }
    if (!credential || !given) return fail();
    const digest = toHex(sha1(utf8.encode(given.password + credential.consumer.id)));
    if (!(await secretsEqual(digest, credential.password))) return fail();
    const consumer = await env.consumers.consumer(credential.consumer.id);
    if (!consumer) return fail();
    setConsumer(req, consumer, credential);
    // Kong identifies a basic-auth credential by its username
    req.upstreamHeaders.set("x-credential-identifier", credential.username);
    return undefined;
  },
};
