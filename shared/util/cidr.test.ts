import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseIp } from "./cidr";

const inside = (cidr: string, ip: string) => {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  if (!c || a === undefined) throw new Error(`bad input ${cidr} ${ip}`);
  return cidrContains(c, a);
};

describe("cidr", () => {
  it("parses v4, v6 and mapped addresses, and refuses the rest", () => {
    expect(parseIp("10.0.0.1")).toBe(parseIp("::ffff:10.0.0.1"));
    expect(parseIp("2001:db8::1")).toBe(0x20010db8000000000000000000000001n);
    expect(parseIp("::")).toBe(0n);
    expect(parseIp("[::1]")).toBe(1n);
    for (const bad of ["10.0.0", "10.0.0.256", "1::2::3", "g::1", "example.test", "1:2:3:4:5:6:7:8:9"])
      expect(parseIp(bad)).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("::/129")).toBeUndefined();
  });

  it("tells whether an address is in a block", () => {
    expect(inside("10.0.0.0/8", "10.200.3.4")).toBe(true);
    expect(inside("10.0.0.0/8", "11.0.0.1")).toBe(false);
    expect(inside("0.0.0.0/0", "203.0.113.9")).toBe(true);
    expect(inside("0.0.0.0/0", "2001:db8::1")).toBe(false);
    expect(inside("::/0", "2001:db8::1")).toBe(true);
    expect(inside("2001:db8::/32", "2001:db8:ffff::1")).toBe(true);
    expect(inside("2001:db8::/32", "2001:db9::1")).toBe(false);
    expect(inside("192.0.2.7", "192.0.2.7")).toBe(true);
    expect(inside("192.0.2.7", "192.0.2.8")).toBe(false);
  });
});
