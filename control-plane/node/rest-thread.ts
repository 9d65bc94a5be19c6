import { Worker } from "node:worker_threads";
import type { RestBuilder, RestPart } from "../cluster/snapshot-builder";
import type { PostgresConnection } from "../db/client";

/*
 * The Node control plane builds a snapshot on two threads: the types Kong hashes one by one
 * (services, routes, plugins, upstreams, targets) on its own, and the rest (certificates, SNIs, CA
 * certificates, consumers and credentials) on a thread with its own connection, reading at the
 * snapshot the control plane's export shares (`pg_export_snapshot`), its runs compressed on a
 * deflate thread of its own. In the large case the rest is the larger half (100k of 130k entities):
 * alone, it took two thirds of the time of the whole build on one thread (BENCHMARKS.md).
 */

export type RestRequest = { id: number; snapshot: string };
export type RestReply =
  | { id: -1; ready: true }
  | { id: number; taken: true }
  | { id: number; part: RestPart }
  | { id: number; error: string };

/** How long a thread may take to take a snapshot (it may still be starting) before the build fails. */
const TAKE_WITHIN_MS = 60_000;

/**
 * How long a thread may take over a build before it is taken for stuck: stopped, its builds failed
 * (the publisher makes them on its own thread), and replaced at the next build. The large case
 * takes about a second.
 */
const BUILD_WITHIN_MS = 300_000;

/**
 * The thread's code: TypeScript, loaded through the same compiler as the `lintel` command (a
 * thread does not inherit the loader the main thread registered).
 */
const BOOT = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL("./rest-thread-main.ts", import.meta.url).href)});
});`;

/** A promise with its settling functions; a rejection nobody awaits is not reported as unhandled. */
type Deferred<T> = { promise: Promise<T>; resolve(value: T): void; reject(e: Error): void };

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

type Job = { taken: Deferred<void>; part: Deferred<RestPart>; timer?: ReturnType<typeof setTimeout> };

/** One thread and the builds it owes. */
class Thread {
  readonly jobs = new Map<number, Job>();
  /** Whether it has loaded and warmed up. */
  ready = false;
  readonly whenReady = deferred<void>();
  private readonly worker: Worker;
  private broken: Error | undefined;

  constructor(
    postgres: PostgresConnection,
    private readonly buildWithinMs: number,
    private readonly onExit: (t: Thread) => void,
  ) {
    this.worker = new Worker(BOOT, { eval: true, workerData: postgres });
    this.worker.unref();
    this.worker.on("message", (m: RestReply) => {
      if ("ready" in m) {
        this.ready = true;
        this.whenReady.resolve();
        return;
      }
      const job = this.jobs.get(m.id);
      if (!job) return;
      if ("taken" in m) {
        job.taken.resolve();
        return;
      }
      this.jobs.delete(m.id);
      clearTimeout(job.timer);
      if (this.jobs.size === 0) this.worker.unref();
      if ("part" in m) job.part.resolve(m.part);
      else job.part.reject(new Error(`rest of the config: ${m.error}`));
      // a failure before the snapshot was taken fails the export that waits for it too
      if ("error" in m) job.taken.reject(new Error(`rest of the config: ${m.error}`));
    });
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", (code) => this.fail(new Error(`rest thread exited (code ${code})`)));
  }

  /** Fails every build it owes, once, and leaves it to be replaced. */
  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = e;
    this.whenReady.reject(e);
    for (const job of this.jobs.values()) {
      clearTimeout(job.timer);
      job.taken.reject(e);
      job.part.reject(e);
    }
    this.jobs.clear();
    this.onExit(this);
  }

  send(id: number, snapshot: string, job: Job): void {
    if (this.broken) {
      job.taken.reject(this.broken);
      job.part.reject(this.broken);
      return;
    }
    // referenced while it owes a build: a process must not exit with one half done
    if (this.jobs.size === 0) this.worker.ref();
    job.timer = setTimeout(() => {
      this.fail(new Error(`rest thread did not build within ${this.buildWithinMs} ms; stopped`));
      this.worker.terminate().catch(() => undefined);
    }, this.buildWithinMs);
    this.jobs.set(id, job);
    const request: RestRequest = { id, snapshot };
    this.worker.postMessage(request);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * A `RestBuilder` on a thread of its own, opening its own connection to the same Postgres. A thread
 * that dies fails the builds it owes (each fails, and the next starts afresh) and is replaced at
 * the next build. An idle thread does not keep the process alive.
 */
export class RestThread implements RestBuilder {
  private thread: Thread | undefined;
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly postgres: PostgresConnection,
    private readonly opts: { buildWithinMs?: number } = {},
  ) {}

  /**
   * Starts the thread if it is not running. It loads (about a second) and warms up (an export and
   * a build of its own) before it is `ready`: started after a node's first build, so that it does
   * not slow that build down. Resolves once it is ready.
   */
  prepare(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("rest thread closed"));
    this.thread ??= this.spawn();
    return this.thread.whenReady.promise;
  }

  /** Whether the thread has loaded and warmed up: a build asked of it now waits for neither. */
  get ready(): boolean {
    return this.thread?.ready === true;
  }

  start(snapshot: string): { taken: Promise<void>; part: Promise<RestPart> } {
    const job: Job = { taken: deferred(), part: deferred() };
    if (this.closed) {
      const e = new Error("rest thread closed");
      job.taken.reject(e);
      job.part.reject(e);
    } else {
      this.thread ??= this.spawn();
      this.thread.send(this.nextId++, snapshot, job);
    }
    const taken = withinTime(job.taken.promise);
    taken.catch(() => undefined);
    return { taken, part: job.part.promise };
  }

  /** Stops the thread; builds it owes fail. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private spawn(): Thread {
    return new Thread(this.postgres, this.opts.buildWithinMs ?? BUILD_WITHIN_MS, (dead) => {
      if (this.thread === dead) this.thread = undefined;
    });
  }
}

/** `taken`, or a failure once the thread has taken too long to take the snapshot. */
function withinTime(taken: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`rest thread did not take the snapshot within ${TAKE_WITHIN_MS} ms`)),
      TAKE_WITHIN_MS,
    );
    timer.unref?.();
  });
  return Promise.race([taken, late]).finally(() => clearTimeout(timer));
}
