/*
 * A snapshot larger than one frame travels as several: a text frame announcing its length, then
 * binary frames of at most SNAPSHOT_FRAME bytes, in order, sent together (nothing else comes
 * between them on the socket). A snapshot that fits one frame is that frame alone, as Kong sends
 * its config. A Worker refuses messages over 32 MiB, and holds a message whole before handing it
 * over: in frames, a DP node takes a snapshot larger than that, holding it once.
 */

/** The most bytes of a snapshot in one frame. */
export const SNAPSHOT_FRAME = 1024 * 1024;

/** The largest WebSocket message a Worker receives. */
export const MAX_MESSAGE = 32 * 1024 * 1024;

/** CP → DP, before the binary frames of a snapshot larger than one frame. */
export type SnapshotHeader = { type: "snapshot"; bytes: number };

/** The frames that carry `bytes` (views of it, not copies). */
export function snapshotFrames(bytes: Uint8Array): Array<string | Uint8Array> {
  if (bytes.length <= SNAPSHOT_FRAME) return [bytes];
  const frames: Array<string | Uint8Array> = [
    JSON.stringify({ type: "snapshot", bytes: bytes.length } satisfies SnapshotHeader),
  ];
  for (let at = 0; at < bytes.length; at += SNAPSHOT_FRAME) {
    frames.push(bytes.subarray(at, at + SNAPSHOT_FRAME));
  }
  return frames;
}

/**
 * What carries `bytes` to a DP: frames when it takes them, else one message when one can carry
 * them (a DP from before frames), else nothing (undefined).
 */
export function framesFor(bytes: Uint8Array, takesFrames: boolean): Array<string | Uint8Array> | undefined {
  if (takesFrames) return snapshotFrames(bytes);
  return bytes.length <= MAX_MESSAGE ? [bytes] : undefined;
}

/**
 * What a frame completes: a snapshot (its frames, end to end), or the refusal of one (its frames
 * are then let go by).
 */
export type Assembled =
  | { snapshot: Uint8Array[] }
  | {
      refused: { reason: "too_large"; size: number; limit: number } | { reason: "malformed"; detail: string };
    };

/**
 * The DP's side: gathers a snapshot's frames up to the announced length, refusing one longer than
 * `cluster_max_payload` before its frames arrive. The frames are kept as they came, not joined:
 * joining would hold the snapshot twice, and each frame is what the node stores as one chunk.
 */
export class SnapshotAssembler {
  /** The frames of the snapshot coming in, and the length announced. */
  private frames: Uint8Array[] | undefined;
  private expected = 0;
  /** Bytes of the current snapshot received so far. */
  private at = 0;
  /** Bytes of a refused snapshot still to let go by. */
  private skipping = 0;

  constructor(private readonly maxPayload: number) {}

  /** Whether a snapshot's frames are coming in (announced, not all received). */
  get assembling(): boolean {
    return this.frames !== undefined;
  }

  /** A text frame: a snapshot's header, or undefined for any other message (a pong). */
  text(data: string): Assembled | undefined {
    let header: Partial<SnapshotHeader>;
    try {
      header = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (header?.type !== "snapshot") return undefined;
    const unfinished = this.frames !== undefined || this.skipping > 0;
    this.reset();
    const bytes = header.bytes;
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes <= 0) {
      return { refused: { reason: "malformed", detail: "snapshot header without a length" } };
    }
    if (bytes > this.maxPayload) {
      this.skipping = bytes;
      return { refused: { reason: "too_large", size: bytes, limit: this.maxPayload } };
    }
    this.frames = [];
    this.expected = bytes;
    if (unfinished) {
      // the CP never interleaves snapshots: the one cut short is gone, this one is taken
      return { refused: { reason: "malformed", detail: "a snapshot's frames ended early" } };
    }
    return undefined;
  }

  /** A binary frame: the next part of an announced snapshot, or a whole one. */
  binary(frame: Uint8Array): Assembled | undefined {
    if (this.skipping > 0) {
      this.skipping -= Math.min(this.skipping, frame.length);
      return undefined;
    }
    const frames = this.frames;
    if (!frames) return { snapshot: [frame] };
    if (this.at + frame.length > this.expected) {
      this.reset();
      return { refused: { reason: "malformed", detail: "a snapshot's frames are longer than announced" } };
    }
    frames.push(frame);
    this.at += frame.length;
    if (this.at < this.expected) return undefined;
    this.reset();
    return { snapshot: frames };
  }

  /** Lets go of the frames of a snapshot coming in (its connection is gone). */
  abandon(): void {
    this.reset();
  }

  private reset(): void {
    this.frames = undefined;
    this.expected = 0;
    this.at = 0;
    this.skipping = 0;
  }
}
