import { WebSocket } from "ws";

/*
 * The heap of a Worker's isolate in workerd, read through its inspector (the DevTools protocol
 * workerd serves when started with an inspector port): what the runtime itself holds, not an
 * estimate from Node's V8.
 */

type Target = { id: string; title?: string; webSocketDebuggerUrl?: string };

/** JS objects, and the memory behind ArrayBuffers (kept outside V8's heap, counted by an isolate's limit). */
export type HeapUsage = { jsBytes: number; bufferBytes: number };

export class IsolateInspector {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
      if (m.id === undefined) return;
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }

  /** Connects to the isolate of the Worker named `worker` (Miniflare names a lone Worker ""). */
  static async connect(inspectorPort: number, worker = ""): Promise<IsolateInspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Target[];
    // Miniflare's own services have isolates too: the user's Worker is `core:user:<name>`
    const target = targets.find((t) => t.id === `core:user:${worker}`);
    const url =
      target?.webSocketDebuggerUrl ?? (target ? `ws://127.0.0.1:${inspectorPort}/${target.id}` : undefined);
    if (!url) throw new Error(`no inspector target on port ${inspectorPort}: ${JSON.stringify(targets)}`);
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new IsolateInspector(socket);
  }

  private call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, (m) =>
        m.error ? reject(new Error(`${method}: ${JSON.stringify(m.error)}`)) : resolve(m.result as T),
      );
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The heap in use after a full collection (twice: weak references and finalizers let go). */
  async heapAfterGc(): Promise<HeapUsage> {
    await this.call("HeapProfiler.collectGarbage");
    await this.call("HeapProfiler.collectGarbage");
    return this.heap();
  }

  /** The heap now, garbage and all. */
  async heap(): Promise<HeapUsage> {
    const r = await this.call<{ usedSize: number; backingStorageSize?: number }>("Runtime.getHeapUsage");
    return { jsBytes: r.usedSize, bufferBytes: r.backingStorageSize ?? 0 };
  }

  /**
   * Samples the heap (JS and buffers, garbage and all) every few milliseconds from now on; `stop`
   * ends the sampling and gives the most seen, at least `floor`.
   */
  samplePeak(floor: number): { stop(): Promise<number> } {
    let peak = floor;
    let sampling = true;
    const done = (async () => {
      while (sampling) {
        const h = await this.heap();
        peak = Math.max(peak, h.jsBytes + h.bufferBytes);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    return {
      stop: async () => {
        sampling = false;
        await done;
        return peak;
      },
    };
  }

  close(): void {
    this.socket.close();
  }
}
