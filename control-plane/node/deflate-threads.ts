import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { RUN_DEFLATE_LEVEL } from "../cluster/native-codecs";
import type { FlushDeflate, Part } from "../cluster/segmented-gzip";

/*
 * The Node control plane compresses snapshot segments on threads of its own, so that a build
 * makes the next segment's text while the last is compressed: on a large config's first build,
 * compression is about a third of the build (BENCHMARKS.md). zlib's own asynchronous calls do not
 * serve: they stream through 16 KiB chunks with a round trip to this thread for each, and took
 * twice as long as the synchronous call for a config's segments.
 */

/**
 * The thread's code: plain JavaScript (no loader needed), synchronous zlib on whole segments. The
 * text is encoded here too, and its CRC-32 taken (zlib's, Node 20.15 and later): the building
 * thread only makes text.
 */
const THREAD = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
parentPort.on("message", ({ id, text, level }) => {
  try {
    const bytes = Buffer.from(text, "utf8");
    const out = zlib.deflateRawSync(bytes, { level, finishFlush: zlib.constants.Z_FULL_FLUSH });
    const deflated = new Uint8Array(out.length);
    deflated.set(out);
    parentPort.postMessage({ id, deflated, crc: zlib.crc32(bytes), size: bytes.length }, [deflated.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message || e) });
  }
});
`;

type Job = { resolve: (p: Part) => void; reject: (e: Error) => void };
type Answer = { id: number; deflated?: Uint8Array; crc: number; size: number; error?: string };

/** One thread and the jobs it has not answered. */
class DeflateThread {
  readonly jobs = new Map<number, Job>();
  private readonly worker: Worker;
  private broken: Error | undefined;

  constructor(private readonly onExit: (t: DeflateThread) => void) {
    this.worker = new Worker(THREAD, { eval: true });
    this.worker.unref();
    this.worker.on("message", (m: Answer) => {
      const job = this.jobs.get(m.id);
      this.jobs.delete(m.id);
      if (this.jobs.size === 0) this.worker.unref();
      if (m.deflated) job?.resolve({ deflated: m.deflated, crc: m.crc, size: m.size });
      else job?.reject(new Error(`deflate failed: ${m.error}`));
    });
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", (code) => this.fail(new Error(`deflate thread exited (code ${code})`)));
  }

  send(id: number, text: string, level: number, job: Job): void {
    if (this.broken) {
      job.reject(this.broken);
      return;
    }
    // referenced while it owes an answer: a process must not exit with a build half done
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
    this.worker.postMessage({ id, text, level });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    for (const job of this.jobs.values()) job.reject(e);
    this.jobs.clear();
    this.onExit(this);
  }
}

export type DeflateThreadsOptions = {
  /** Threads to start; by default one for each core but this one, at most four. */
  threads?: number;
  /** zlib's level (RUN_DEFLATE_LEVEL: see native-codecs.ts). */
  level?: number;
};

/**
 * A pool of threads that encode and compress runs of text as `FlushDeflate` asks. A thread that dies fails
 * its jobs (the build fails, and the next one starts afresh) and is replaced on the next call.
 * Idle threads do not keep the process alive.
 */
export class DeflateThreads {
  private readonly threads: Array<DeflateThread | undefined>;
  private readonly level: number;
  private nextId = 0;
  private closed = false;

  constructor(opts: DeflateThreadsOptions = {}) {
    const n = opts.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.level = opts.level ?? RUN_DEFLATE_LEVEL;
    // started now (a thread takes some tens of milliseconds to start), not by the first build
    this.threads = Array.from({ length: n }, () => this.spawn());
  }

  readonly deflate: FlushDeflate = (text) => {
    if (this.closed) return Promise.reject(new Error("deflate threads closed"));
    return new Promise<Part>((resolve, reject) => {
      this.pick().send(this.nextId++, text, this.level, { resolve, reject });
    });
  };

  /** Stops the threads; jobs still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const running = this.threads.filter((t): t is DeflateThread => t !== undefined);
    this.threads.fill(undefined);
    await Promise.all(running.map((t) => t.terminate()));
  }

  /** The thread with the fewest jobs owed, started if it is not running. */
  private pick(): DeflateThread {
    let best = 0;
    for (let i = 0; i < this.threads.length; i++) {
      const t = this.threads[i];
      if (!t) {
        best = i;
        break;
      }
      if (t.jobs.size < (this.threads[best]?.jobs.size ?? 0)) best = i;
    }
    let thread = this.threads[best];
    if (!thread) {
      thread = this.spawn();
      this.threads[best] = thread;
    }
    return thread;
  }

  private spawn(): DeflateThread {
    return new DeflateThread((dead) => {
      const at = this.threads.indexOf(dead);
      if (at >= 0) this.threads[at] = undefined;
    });
  }
}
