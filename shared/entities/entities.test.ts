import { describe, expect, it } from "vitest";
import { schemaViolation } from "../schema/errors";
import type { EntitySchema } from "../schema/types";
import { checkEntity, validateEntity } from "../schema/validate";
import { routesSchema } from "./routes";
import { servicesSchema } from "./services";

function errors(schema: EntitySchema, input: unknown) {
  const v = validateEntity(schema, input, "insert");
  if (!v.ok) return v.error;
  return checkEntity(schema, v.value);
}

// Cases from Kong's spec/01-unit/01-db/01-schema/05-services_spec.lua and 06-routes_spec.lua.
describe("services schema", () => {
  it("validates timeouts (05-services_spec.lua:117)", () => {
    expect(errors(servicesSchema, { host: "x.test", connect_timeout: 0 })).toEqual({
      connect_timeout: "value should be between 1 and 2147483646",
    });
  });

  it.each([
    ["example.com/org", "invalid value: example.com/org"],
    ["example-.org", "invalid value: example-.org"],
    ["hello..example.com", "invalid value: hello..example.com"],
    ["example.com:80", "must not have a port"],
  ])("refuses host %s (05-services_spec.lua:349)", (host, message) => {
    expect(errors(servicesSchema, { host })).toEqual({ host: message });
  });

  it.each(["example_api.com", "localhost", "example.test.", "10.0.0.1", "::1"])("accepts host %s", (host) => {
    expect(errors(servicesSchema, { host })).toBeUndefined();
  });

  it("validates paths in Kong's order (05-services_spec.lua:157)", () => {
    expect(errors(servicesSchema, { host: "x", path: "foo" })).toEqual({ path: "should start with: /" });
    expect(errors(servicesSchema, { host: "x", path: "/a//b" })).toEqual({
      path: "must not have empty segments",
    });
    expect(errors(servicesSchema, { host: "x", path: "/a b" })).toEqual({
      path: "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)",
    });
    expect(errors(servicesSchema, { host: "x", path: "/%2w" })).toEqual({
      path: "invalid url-encoded value: '%2w'",
    });
  });

  it("refuses a path on a stream service, with the conditional message (02-db_core_entities_spec.lua:1534)", () => {
    const e = errors(servicesSchema, { host: "x", protocol: "tcp", path: "/a" });
    expect(e).toEqual({
      "@entity": ["failed conditional validation given value of field 'protocol'"],
      path: "value must be null",
    });
    expect(schemaViolation(e ?? {}).message).toBe(
      "2 schema violations (failed conditional validation given value of field 'protocol'; path: value must be null)",
    );
  });

  it("checks names (05-services_spec.lua:441)", () => {
    expect(errors(servicesSchema, { host: "x", name: "~3..x4~.M-p~1__3_" })).toBeUndefined();
    expect(errors(servicesSchema, { host: "x", name: "孔" })).toBeUndefined();
    expect(errors(servicesSchema, { host: "x", name: "a b" })).toEqual({
      name: "invalid value 'a b': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
    });
  });
});

describe("routes schema", () => {
  it("requires one of methods, hosts, headers, paths for http (06-routes_spec.lua:1085)", () => {
    expect(errors(routesSchema, { protocols: ["http"] })).toEqual({
      "@entity": ["must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"],
    });
  });

  it("keeps protocol families apart (06-routes_spec.lua:161)", () => {
    expect(errors(routesSchema, { protocols: ["http", "tcp"], paths: ["/"] })).toEqual({
      protocols: "these sets are mutually exclusive: ('http', 'https'), ('tcp', 'tls', 'udp')",
    });
  });

  it("validates paths (06-routes_spec.lua:233)", () => {
    expect(errors(routesSchema, { paths: ["foo"] })).toEqual({
      paths: ["should start with: / (fixed path) or ~/ (regex path)"],
    });
    expect(errors(routesSchema, { paths: ["/a/../b"] })).toEqual({
      paths: ["non-normalized path, consider use '/b' instead"],
    });
    expect(errors(routesSchema, { paths: ["~/(unclosed"] })?.paths).toEqual([
      expect.stringMatching(/^invalid regex: '\/\(unclosed' \(PCRE returned: /),
    ]);
  });

  it("refuses a regex the router cannot run as Kong's does, in Kong's words for a router failure", () => {
    expect(errors(routesSchema, { paths: ["~/(?=x)"], headers: { "x-a": ["~*(?<!b)c"] } })).toEqual({
      "@entity": [
        "Router Expression failed validation: path '~/(?=x)': look-around assertions are not supported by Kong's router at position 1",
        "Router Expression failed validation: header 'x-a' value '~*(?<!b)c': look-around assertions are not supported by Kong's router at position 0",
      ],
    });
    expect(
      errors(routesSchema, { paths: ["~/(?P<id>\\d+)"], headers: { "x-a": ["~*^v\\d$"] } }),
    ).toBeUndefined();
  });

  it("validates hosts with wildcards (06-routes_spec.lua:394)", () => {
    expect(errors(routesSchema, { hosts: ["*.example.com", "example.*", "a.test:8080"] })).toBeUndefined();
    expect(errors(routesSchema, { hosts: ["*.ex*.com"] })).toEqual({
      hosts: ["invalid wildcard: must have at most one wildcard"],
    });
    expect(errors(routesSchema, { hosts: ["ex*ample.com"] })).toEqual({
      hosts: ["invalid wildcard: must be placed at leftmost or rightmost label"],
    });
  });

  it("refuses a host header and bad methods (06-routes_spec.lua:563, 626)", () => {
    expect(errors(routesSchema, { headers: { Host: ["x"] } })).toEqual({
      headers: { Host: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" },
    });
    expect(errors(routesSchema, { methods: ["get"] })).toEqual({ methods: ["invalid value: get"] });
  });

  it("refuses snis without a TLS protocol", () => {
    expect(errors(routesSchema, { protocols: ["http"], paths: ["/"], snis: ["a.test"] })).toEqual({
      "@entity": ["'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"],
      snis: "length must be 0",
    });
  });

  it("applies the grpc rules (06-routes_spec.lua:1143)", () => {
    expect(errors(routesSchema, { protocols: ["grpc"], paths: ["/"] })).toBeUndefined();
    expect(errors(routesSchema, { protocols: ["grpc"], paths: ["/"], strip_path: true })).toEqual({
      strip_path: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    });
  });
});
