/**
 * How recently closed streams ended, as far back as a bounded memory reaches: RFC 9113 §5.1
 * answers frames on a closed stream differently depending on whether we reset it (ignore them),
 * the peer reset it (STREAM_CLOSED stream error) or it ended normally (STREAM_CLOSED connection
 * error for DATA or HEADERS).
 *
 * A peer's stream ids only grow, so the memory is a ring indexed by the id: a slot holds the
 * latest stream that maps to it, and older ones fall out as newer ones arrive. No allocation.
 */

export const ClosedHow = {
  /** We sent RST_STREAM (or refused the stream): frames that were in flight are ignored. */
  RESET_BY_US: 1,
  /** The peer sent RST_STREAM. */
  RESET_BY_PEER: 2,
  /** Both sides sent END_STREAM. */
  ENDED: 3,
} as const;
export type ClosedHow = (typeof ClosedHow)[keyof typeof ClosedHow];

export class ClosedStreams {
  private readonly ids: Int32Array;
  private readonly hows: Uint8Array;
  private readonly mask: number;

  /** Remembers about the last `size` stream ids of one parity (`size` a power of two). */
  constructor(size = 1024) {
    if (size < 1 || (size & (size - 1)) !== 0) throw new RangeError(`size ${size} is not a power of two`);
    this.ids = new Int32Array(size);
    this.hows = new Uint8Array(size);
    this.mask = size - 1;
  }

  add(streamId: number, how: ClosedHow): void {
    const slot = (streamId >>> 1) & this.mask;
    this.ids[slot] = streamId;
    this.hows[slot] = how;
  }

  /** How the stream closed, or undefined when it is not (or no longer) remembered. */
  get(streamId: number): ClosedHow | undefined {
    const slot = (streamId >>> 1) & this.mask;
    return streamId !== 0 && this.ids[slot] === streamId ? (this.hows[slot] as ClosedHow) : undefined;
  }
}
