import { createServer } from "node:http";

/** The body every benchmark request gets: a small JSON document, the same whatever was asked. */
const BODY = JSON.stringify({
  id: "3f2c1a9e-5b7d-4e8f-a1c2-d3e4f5a6b7c8",
  items: Array.from({ length: 8 }, (_, i) => ({ n: i, name: `item-${i}`, ok: i % 2 === 0 })),
});

/**
 * The benchmarks' upstream service: it answers every request with the same body, as a real
 * service's endpoint would, and keeps nothing. The tests' echoing upstream would make the response
 * grow with the headers a proxy adds, and keep every request in this process's memory.
 */
export async function startBenchUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
