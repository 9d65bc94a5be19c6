import { connect } from "cloudflare:sockets";

/*
 * An HTTP/1.1 exchange over a TCP socket of our own, for what `fetch` cannot send: a Host header
 * other than the URL's (Kong's preserve_host and an upstream's host_header). One request per
 * connection (`Connection: close`); bodies with Content-Length, chunked or up to the close.
 */

export type Http1Request = {
  /** Where to connect: a name or an IP (no brackets). */
  address: string;
  port: number;
  tls: boolean;
  method: string;
  pathAndQuery: string;
  /** Sent as given; Host among them. */
  headers: Headers;
  body: ArrayBuffer | ReadableStream | null;
  signal: AbortSignal;
};

const encoder = new TextEncoder();
const NO_BODY = new Set([204, 304]);

export async function http1(req: Http1Request): Promise<Response> {
  const socket = connect(
    { hostname: req.address, port: req.port },
    { secureTransport: req.tls ? "on" : "off", allowHalfOpen: false },
  );
  const abort = () => void socket.close().catch(() => undefined);
  req.signal.addEventListener("abort", abort, { once: true });
  try {
    await Promise.race([socket.opened, aborted(req.signal)]);
    await writeRequest(socket.writable, req);
    const reader = new BufferedReader(socket.readable.getReader());
    let head: Head;
    do head = parseHead(await Promise.race([reader.readHead(), aborted(req.signal)]));
    while (head.status >= 100 && head.status < 200 && head.status !== 101);
    const bodyless = req.method === "HEAD" || NO_BODY.has(head.status) || head.status < 200;
    const body = bodyless ? null : bodyStream(reader, head.headers, () => abort());
    if (bodyless) abort();
    return new Response(body, { status: head.status, statusText: head.reason, headers: head.headers });
  } catch (e) {
    abort();
    throw e;
  } finally {
    req.signal.removeEventListener("abort", abort);
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

async function writeRequest(writable: WritableStream<Uint8Array>, req: Http1Request): Promise<void> {
  const writer = writable.getWriter();
  const headers = new Headers(req.headers);
  headers.set("connection", "close");
  headers.delete("transfer-encoding");
  const streamed = req.body instanceof ReadableStream;
  if (req.body instanceof ArrayBuffer) headers.set("content-length", String(req.body.byteLength));
  else if (streamed) {
    headers.delete("content-length");
    headers.set("transfer-encoding", "chunked");
  }
  let head = `${req.method} ${req.pathAndQuery} HTTP/1.1\r\n`;
  // Host first, as clients send it
  head += `host: ${headers.get("host") ?? req.address}\r\n`;
  headers.forEach((value, name) => {
    if (name !== "host") head += `${name}: ${value}\r\n`;
  });
  await writer.write(encoder.encode(`${head}\r\n`));
  if (req.body instanceof ArrayBuffer) {
    if (req.body.byteLength) await writer.write(new Uint8Array(req.body));
  } else if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
      if (chunk.length === 0) continue;
      await writer.write(encoder.encode(`${chunk.length.toString(16)}\r\n`));
      await writer.write(chunk);
      await writer.write(encoder.encode("\r\n"));
    }
    await writer.write(encoder.encode("0\r\n\r\n"));
  }
  writer.releaseLock();
}

type Head = { status: number; reason: string; headers: Headers };

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!m) throw new TypeError("invalid HTTP response from the upstream");
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), reason: m[2] ?? "", headers };
}

function bodyStream(reader: BufferedReader, headers: Headers, done: () => void): ReadableStream<Uint8Array> {
  const chunked = /\bchunked\b/i.test(headers.get("transfer-encoding") ?? "");
  const length = headers.get("content-length");
  let left = chunked || length === null ? Number.POSITIVE_INFINITY : Number(length);
  let chunkLeft = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (chunked) {
          if (chunkLeft === 0) {
            const size = Number.parseInt((await reader.readLine()).split(";")[0] ?? "", 16);
            if (!Number.isFinite(size)) throw new TypeError("invalid chunked body from the upstream");
            if (size === 0) {
              while ((await reader.readLine()) !== "") {} // trailers
              done();
              controller.close();
              return;
            }
            chunkLeft = size;
          }
          const part = await reader.read(chunkLeft);
          if (!part) throw new TypeError("the upstream closed the connection within a chunk");
          chunkLeft -= part.length;
          if (chunkLeft === 0) await reader.readLine();
          controller.enqueue(part);
          return;
        }
        if (left === 0) {
          done();
          controller.close();
          return;
        }
        const part = await reader.read(Math.min(left, 65536));
        if (!part) {
          if (Number.isFinite(left)) throw new TypeError("the upstream closed the connection early");
          done();
          controller.close();
          return;
        }
        left -= part.length;
        controller.enqueue(part);
      } catch (e) {
        done();
        controller.error(e);
      }
    },
    cancel() {
      done();
    },
  });
}

/** Reads lines and byte runs from a socket, keeping what was read ahead. */
class BufferedReader {
  private buffer = new Uint8Array(0);
  private ended = false;

  constructor(private readonly source: ReadableStreamDefaultReader<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const { done, value } = await this.source.read();
    if (done) {
      this.ended = true;
      return false;
    }
    const next = new Uint8Array(this.buffer.length + value.length);
    next.set(this.buffer);
    next.set(value, this.buffer.length);
    this.buffer = next;
    return true;
  }

  private indexOf(seq: number[]): number {
    outer: for (let i = 0; i + seq.length <= this.buffer.length; i++) {
      for (let j = 0; j < seq.length; j++) if (this.buffer[i + j] !== seq[j]) continue outer;
      return i;
    }
    return -1;
  }

  private take(n: number): Uint8Array {
    const out = this.buffer.slice(0, n);
    this.buffer = this.buffer.slice(n);
    return out;
  }

  /** The response head, up to the blank line (at most 64 KiB). */
  async readHead(): Promise<string> {
    for (;;) {
      const at = this.indexOf([13, 10, 13, 10]);
      if (at >= 0) return new TextDecoder().decode(this.take(at + 4)).slice(0, -4);
      if (this.buffer.length > 65536) throw new TypeError("response head too large");
      if (!(await this.fill())) throw new TypeError("the upstream closed the connection before answering");
    }
  }

  async readLine(): Promise<string> {
    for (;;) {
      const at = this.indexOf([13, 10]);
      if (at >= 0) return new TextDecoder().decode(this.take(at + 2)).slice(0, -2);
      if (!(await this.fill())) throw new TypeError("the upstream closed the connection");
    }
  }

  /** Up to `max` bytes; undefined at the end of the stream. */
  async read(max: number): Promise<Uint8Array | undefined> {
    if (this.buffer.length === 0 && !(await this.fill())) return undefined;
    return this.take(Math.min(max, this.buffer.length));
  }
}
