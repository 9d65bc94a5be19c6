/**
 * Kong's address parsing (kong/tools/ip.lua `normalize_ip`): IPv4, IPv6 (bracketed when a port
 * follows) and host names, each with an optional port.
 */
export type ParsedHost = { type: "ipv4" | "ipv6" | "name"; host: string; port?: number };

export function hostnameType(name: string): ParsedHost["type"] {
  if ((name.match(/:/g) ?? []).length > 1) return "ipv6";
  return /^[\d.]+$/.test(name.replace(/:/g, "")) ? "ipv4" : "name";
}

function checkPort(text: string | undefined): number | undefined | "invalid port number" {
  if (text === undefined || text === "") return undefined;
  const port = Number(text);
  return port > 65535 ? "invalid port number" : port;
}

function normalizeIpv4(address: string): ParsedHost | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::(\d+))?$/.exec(address);
  if (!m || (address.includes(":") && m[5] === undefined)) return `invalid ipv4 address: ${address}`;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return `invalid ipv4 address: ${address}`;
  const port = checkPort(m[5]);
  if (port === "invalid port number") return port;
  return { type: "ipv4", host: octets.join("."), port };
}

function normalizeIpv6(address: string): ParsedHost | string {
  let check = address;
  let port: number | undefined;
  const bracketed = /^\[([^\]]*)\](.*)$/.exec(address);
  if (bracketed) {
    check = bracketed[1] ?? "";
    const rest = bracketed[2] ?? "";
    if (rest !== "") {
      const m = /^:(\d*)$/.exec(rest);
      if (!m) return "invalid ipv6 address";
      const p = checkPort(m[1]);
      if (p === "invalid port number") return p;
      port = p;
    }
  }
  if (check.startsWith(":")) check = `0${check}`;
  if (check.endsWith(":")) check = `${check}0`;
  if (check.includes("::")) {
    const colons = (check.match(/:/g) ?? []).length;
    check = check.replace("::", `:${"0:".repeat(8 - colons)}`);
  }
  const groups = check.split(":");
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) {
    return `invalid ipv6 address: ${address}`;
  }
  return { type: "ipv6", host: groups.map((g) => g.padStart(4, "0").toLowerCase()).join(":"), port };
}

function checkHostname(address: string): ParsedHost | string {
  let name = address;
  let port: number | undefined;
  const m = /:(\d+)$/.exec(address);
  if (m) {
    name = address.slice(0, -m[0].length);
    const p = checkPort(m[1]);
    if (p === "invalid port number") return p;
    port = p;
  }
  if (!/^[0-9A-Za-z.\-_]+$/.test(name)) return `invalid hostname: ${address}`;
  const segments = name.split(".");
  for (const [i, segment] of segments.entries()) {
    if (segment.endsWith("-") || (segment === "" && i !== segments.length - 1)) {
      return `invalid hostname: ${address}`;
    }
  }
  return { type: "name", host: name, port };
}

/** Returns the parsed address, or Kong's error message. */
export function normalizeIp(address: string): ParsedHost | string {
  switch (hostnameType(address)) {
    case "ipv4":
      return normalizeIpv4(address);
    case "ipv6":
      return normalizeIpv6(address);
    case "name":
      return checkHostname(address);
  }
}
