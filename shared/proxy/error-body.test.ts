import { describe, expect, it } from "vitest";
import { errorBody, errorContentType } from "./error-body";

describe("Kong's error bodies by Accept (kong/tools/http.lua)", () => {
  it.each([
    [null, "application/json; charset=utf-8"],
    ["*/*", "application/json; charset=utf-8"],
    ["text/html", "text/html; charset=utf-8"],
    ["text/*", "text/plain; charset=utf-8"],
    ["application/xml", "application/xml; charset=utf-8"],
    ["image/png", "application/json; charset=utf-8"],
    ["text/html;q=0.5, application/xml;q=0.9", "application/xml; charset=utf-8"],
    ["text/plain;charset=utf-8, text/html;q=0.2", "text/plain; charset=utf-8"],
  ])("Accept %s gives %s", (accept, type) => {
    expect(errorContentType(accept)).toBe(type);
  });

  it("writes each format as Kong's templates do", () => {
    const id = "a1b2";
    expect(errorBody("no Route matched with those values", id, null).body).toBe(
      '{\n  "message":"no Route matched with those values",\n  "request_id":"a1b2"\n}',
    );
    expect(JSON.parse(errorBody("x", id, null).body)).toEqual({ message: "x", request_id: id });
    expect(errorBody("x", id, "text/plain").body).toBe("x\nrequest_id: a1b2\n");
    expect(errorBody("x", id, "text/html").body).toContain("<p>x.</p>\n    <p>request_id: a1b2</p>");
    expect(errorBody("x", id, "application/xml").body).toContain(
      "<message>x</message>\n  <requestid>a1b2</requestid>",
    );
  });
});
