/**
 * Work on the newest of a stream of values, one at a time, after the task that offered it: a
 * value offered while the work runs waits for it, and only the newest of those waiting is worked
 * on. For keeping a copy of something that changes (a snapshot stored for the next wake), where an
 * older value is worth nothing once a newer exists, and two writes must never interleave.
 */
export class LatestOnly<T> {
  private waiting: { value: T } | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: (value: T) => Promise<void>,
    private readonly onError: (e: unknown) => void,
    /** Waits for the current task to end (a timer: what the task started, sends and replies, goes first). */
    private readonly later: () => Promise<void> = () => new Promise((resolve) => setTimeout(resolve, 0)),
  ) {}

  offer(value: T): void {
    this.waiting = { value };
    this.running ??= this.drain();
  }

  /** Resolves once every value offered so far has been worked on (or replaced by a newer one). */
  async idle(): Promise<void> {
    for (let r = this.running; r !== undefined; r = this.running) await r;
  }

  private async drain(): Promise<void> {
    try {
      await this.later();
      for (let next = this.waiting; next; next = this.waiting) {
        this.waiting = undefined;
        try {
          await this.work(next.value);
        } catch (e) {
          this.onError(e);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
