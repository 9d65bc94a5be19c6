import { describe, expect, it } from "vitest";
import type { PluginEnvironment, PluginRequest } from "../runtime/types";
import { botDetection } from "./bot-detection";

function verdict(userAgent: string | null, conf = { allow: [] as string[], deny: [] as string[] }) {
  const headers = new Headers(userAgent === null ? {} : { "user-agent": userAgent });
  return botDetection.access?.({ headers } as PluginRequest, conf, {} as PluginEnvironment);
}

const PEOPLE = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.7; rv:133.0) Gecko/20100101 Firefox/133.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; CUBOT KINGKONG 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "curl/8.5.0",
  "Wget/1.21.4",
  "HTTPie/3.2.2",
  "python-requests/2.32.3",
  "PostmanRuntime/7.42.0",
];

const BOTS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
  "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
  "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
  "Go-http-client/1.1",
  "Apache-HttpClient/4.5.14 (Java/17.0.2)",
  "Scrapy/2.11.2 (+https://scrapy.org)",
  "AcmeInventoryBot/3.1",
  "sqlmap/1.8.11#stable (https://sqlmap.org)",
  "some-site-crawler v2",
];

describe("bot-detection (access)", () => {
  it.each(PEOPLE)("lets a person's agent through: %s", (ua) => {
    expect(verdict(ua)).toBeUndefined();
  });

  it.each(BOTS)("refuses a bot with Kong's 403: %s", (ua) => {
    expect(verdict(ua)).toEqual({ status: 403, message: "Forbidden" });
  });

  it("passes a request without a User-Agent; trims the header before matching", () => {
    expect(verdict(null)).toBeUndefined();
    expect(verdict("  curl/8.5.0  ", { allow: [], deny: ["^curl"] })).toEqual({
      status: 403,
      message: "Forbidden",
    });
  });

  it("checks allow before deny and before the bot rules", () => {
    const conf = { allow: ["Googlebot", "^curl/"], deny: ["^curl/7"] };
    expect(
      verdict("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", conf),
    ).toBeUndefined();
    expect(verdict("curl/7.88.1", conf)).toBeUndefined();
    expect(verdict("HTTPie/3.2.2", { allow: [], deny: ["HTTPie"] })).toEqual({
      status: 403,
      message: "Forbidden",
    });
  });
});
