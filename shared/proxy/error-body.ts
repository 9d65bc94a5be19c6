/*
 * Kong's error responses (kong.response.error, kong/tools/http.lua): the body's format follows the
 * request's Accept header, the highest q winning, JSON by default; each template carries the
 * message and the request id exactly as Kong writes them.
 */

const JSON_TYPE = "application/json; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";
const XML_TYPE = "application/xml; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";

const MIME: Record<string, string> = {
  "text/html": HTML_TYPE,
  "application/json": JSON_TYPE,
  "text/plain": TEXT_TYPE,
  "application/xml": XML_TYPE,
  application: JSON_TYPE,
  text: TEXT_TYPE,
};

const TEMPLATES: Record<string, (message: string, id: string) => string> = {
  [HTML_TYPE]: (m, id) =>
    `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${m}.</p>\n    <p>request_id: ${id}</p>\n  </body>\n</html>\n`,
  [JSON_TYPE]: (m, id) => `{\n  "message":"${m}",\n  "request_id":"${id}"\n}`,
  [TEXT_TYPE]: (m, id) => `${m}\nrequest_id: ${id}\n`,
  [XML_TYPE]: (m, id) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${m}</message>\n  <requestid>${id}</requestid>\n</error>\n`,
};

const TOKEN = "(?:[a-z0-9][a-z0-9\\-!#$&^_+.]+|\\*)";
const ACCEPT = new RegExp(
  `^(${TOKEN}/${TOKEN})(?:\\s*;\\s*q=(1(?:\\.0{0,3})?|0(?:\\.\\d{0,3})?)|\\s*;\\s*[a-z0-9][a-z0-9\\-!#$&^_+.]+(?:=[^;]*)?)*`,
  "i",
);

/** The MIME type of a media range, Kong's way: `*\/*` is the default, `text/*` is text. */
function mimeOf(range: string): string {
  const [type = "", subtype] = range.toLowerCase().split("/");
  if (subtype === undefined) return JSON_TYPE;
  if (subtype === "*") return type === "*" ? JSON_TYPE : (MIME[type] ?? JSON_TYPE);
  return MIME[`${type}/${subtype}`] ?? JSON_TYPE;
}

/** Kong's `get_response_type`: the Content-Type of an error answering this Accept header. */
export function errorContentType(accept: string | null): string {
  let type = JSON_TYPE;
  if (accept === null) return type;
  let best = 0;
  for (const raw of accept.split(",")) {
    const m = ACCEPT.exec(raw.trim());
    if (!m) continue;
    const q = m[2] === undefined ? 1 : Number(m[2]);
    if (q > best) {
      best = q;
      type = mimeOf(m[1] as string);
    }
  }
  return type;
}

/** Kong's error body for `status` in the format the client asked for. */
export function errorBody(
  message: string,
  requestId: string,
  accept: string | null,
): { type: string; body: string } {
  const type = errorContentType(accept);
  return {
    type,
    body: (TEMPLATES[type] ?? (TEMPLATES[JSON_TYPE] as (m: string, id: string) => string))(
      message,
      requestId,
    ),
  };
}
