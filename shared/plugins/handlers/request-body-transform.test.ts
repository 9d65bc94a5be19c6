import { describe, expect, it } from "vitest";
import { type BodyOps, bodyKind, transformForm, transformJson } from "./request-body-transform";

const none: BodyOps = { remove: [], rename: [], replace: [], add: [], append: [] };

describe("request-transformer bodies", () => {
  it("knows Kong's body kinds by Content-Type", () => {
    expect(bodyKind("application/json; charset=utf-8")).toBe("json");
    expect(bodyKind("Application/X-WWW-Form-Urlencoded")).toBe("form");
    expect(bodyKind("multipart/form-data; boundary=x")).toBe("multipart");
    expect(bodyKind("text/plain")).toBeUndefined();
    expect(bodyKind(null)).toBeUndefined();
  });

  it("JSON: remove, rename and replace only with a body; add and append always; false counts as absent", () => {
    const ops: BodyOps = {
      remove: ["gone"],
      rename: [["a", "b"]],
      replace: [
        ["r", "R"],
        ["off", "on"],
      ],
      add: [
        ["r", "no"],
        ["n", "1"],
      ],
      append: [
        ["list", "y"],
        ["one", "2"],
        ["fresh", "z"],
      ],
    };
    const body = JSON.stringify({ gone: 1, a: { x: 1 }, r: "old", off: false, list: ["x"], one: "1" });
    expect(JSON.parse(transformJson(body, ops) ?? "")).toEqual({
      b: { x: 1 },
      r: "R",
      off: false,
      list: ["x", "y"],
      one: ["1", "2"],
      fresh: ["z"],
      n: "1",
    });
    expect(JSON.parse(transformJson("", ops) ?? "")).toEqual({
      n: "1",
      r: "no",
      list: ["y"],
      one: ["2"],
      fresh: ["z"],
    });
  });

  it("JSON: leaves what is not a JSON object alone, and an unchanged body unchanged", () => {
    const add: BodyOps = { ...none, add: [["k", "v"]] };
    expect(transformJson("[1,2]", add)).toBeUndefined();
    expect(transformJson("{oops", add)).toBeUndefined();
    expect(transformJson('{"k":"mine"}', add)).toBeUndefined();
  });

  it("forms: repeated names kept together on rename, replaced, added and appended", () => {
    const ops: BodyOps = {
      remove: ["secret"],
      rename: [["t", "tag"]],
      replace: [["mode", "b"]],
      add: [
        ["mode", "no"],
        ["new", "a b"],
      ],
      append: [["tag", "3"]],
    };
    const out = new URLSearchParams(transformForm("t=1&t=2&secret=s&mode=a", ops));
    expect(out.getAll("tag")).toEqual(["1", "2", "3"]);
    expect([out.has("secret"), out.get("mode"), out.get("new")]).toEqual([false, "b", "a b"]);
  });
});
