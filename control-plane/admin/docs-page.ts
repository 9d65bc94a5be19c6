/**
 * An interactive page for the Admin API, self-contained (no third-party scripts): it reads
 * /openapi.json, lists every operation by tag, and sends requests from the browser, with the admin
 * token when one is given.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lintel Admin API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
  header { background: #1d2330; color: #fff; padding: 14px 24px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; flex: 1; }
  header input { padding: 6px 8px; border-radius: 4px; border: 0; width: 260px; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
  h2 { font-size: 16px; margin: 24px 0 8px; text-transform: uppercase; letter-spacing: .04em; color: #4a5368; }
  details { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; margin: 6px 0; }
  summary { cursor: pointer; padding: 8px 12px; font-family: ui-monospace, monospace; }
  .m { display: inline-block; width: 64px; font-weight: 700; }
  .GET { color: #1565c0; } .POST { color: #2e7d32; } .PUT { color: #ef6c00; } .PATCH { color: #6a1b9a; } .DELETE { color: #c62828; }
  .body { padding: 8px 12px 12px; border-top: 1px solid #eef0f3; }
  textarea, .path { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; font-size: 13px; }
  textarea { min-height: 90px; }
  button { margin-top: 6px; padding: 6px 14px; border: 0; border-radius: 4px; background: #1d2330; color: #fff; cursor: pointer; }
  pre { background: #0f1420; color: #d7e0ee; padding: 10px; border-radius: 4px; overflow: auto; max-height: 360px; }
</style>
</head>
<body>
<header><h1>Lintel Admin API</h1><input id="token" placeholder="Kong-Admin-Token (if set)" autocomplete="off"></header>
<main id="main">Loading /openapi.json…</main>
<script>
const main = document.getElementById("main");
const token = document.getElementById("token");
const el = (tag, attrs, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, attrs || {});
  for (const c of children) e.append(c);
  return e;
};
async function call(method, path, body, out) {
  const headers = {};
  if (token.value) headers["Kong-Admin-Token"] = token.value;
  if (body) headers["content-type"] = "application/json";
  out.textContent = "…";
  try {
    const res = await fetch(path, { method, headers, body: body || undefined });
    const text = await res.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    out.textContent = res.status + " " + res.statusText + "\\n\\n" + shown;
  } catch (e) {
    out.textContent = String(e);
  }
}
fetch("openapi.json").then((r) => r.json()).then((doc) => {
  main.textContent = "";
  main.append(el("p", { textContent: doc.info.description }));
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      (byTag[tag] = byTag[tag] || []).push({ path, method: method.toUpperCase(), op });
    }
  }
  for (const tag of Object.keys(byTag).sort()) {
    main.append(el("h2", { textContent: tag }));
    for (const { path, method, op } of byTag[tag]) {
      const target = el("input", { className: "path", value: path });
      const body = ["POST", "PUT", "PATCH"].includes(method) ? el("textarea", { placeholder: "JSON body" }) : null;
      const out = el("pre", { textContent: "" });
      const send = el("button", { textContent: "Send", onclick: () => call(method, target.value, body && body.value, out) });
      const inner = el("div", { className: "body" }, el("div", { textContent: op.summary || "" }), target);
      if (body) inner.append(body);
      inner.append(send, out);
      main.append(el("details", {}, el("summary", {}, el("span", { className: "m " + method, textContent: method }), path), inner));
    }
  }
}).catch((e) => { main.textContent = "Could not load /openapi.json: " + e; });
</script>
</body>
</html>
`;
