import { connect } from "cloudflare:sockets";
import type { Probe, ProbeOutcome } from "../shared/balancer/active-health";

/** One active health probe: an HTTP(S) GET of `http_path`, or a TCP connection, within `timeout`. */
export async function probeTarget(p: Probe): Promise<ProbeOutcome> {
  const host = p.host.includes(":") ? `[${p.host}]` : p.host;
  const signal = AbortSignal.timeout(p.timeoutMs);
  try {
    if (p.type === "tcp") {
      const socket = connect({ hostname: p.host, port: p.port });
      await Promise.race([
        socket.opened,
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      ]);
      await socket.close();
      return { status: 0 };
    }
    const res = await fetch(`${p.type}://${host}:${p.port}${p.path}`, {
      headers: p.headers,
      signal,
      redirect: "manual",
    });
    await res.body?.cancel();
    return { status: res.status };
  } catch {
    return signal.aborted ? { error: "timeout" } : { error: "tcp" };
  }
}
