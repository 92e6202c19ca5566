/**
 * The send side's output: DATA within the windows, and fairness among the streams that wait for
 * connection window. A write that fits goes out at once as one frame (growing the DATA frame just
 * written for the same stream, so a stream of small messages costs one frame per batch); what does
 * not fit waits on its stream's queue, and the streams held back by the connection's window alone
 * are served round-robin, one DATA frame each per round, as WINDOW_UPDATE comes.
 *
 * How a stream ends (trailers, END_STREAM) is the connection's: it is given `flush`, the
 * connection's own step that sends a stream's queue and then its end, once, at construction.
 */
import type { ByteWriter } from "../byte-writer.js";
import { FrameType } from "../frame/frame-types.js";
import { writeData, writeFrameHeader } from "../frame/frame-writer.js";
import type { FloodBudget } from "./flood-budget.js";
import type { FlowControl } from "./flow-control.js";
import { STATE_CLOSED, type Stream } from "./stream-record.js";

export class SendScheduler<S> {
  /** DATA octets sent, ever: whether a connection with output waiting makes progress. */
  octetsSent = 0;
  private readonly flow: FlowControl;
  private readonly flood: FloodBudget;
  /** The connection's step for one stream: at most `frames` DATA frames, then its end when due. */
  private readonly flush: (s: Stream<S>, frames: number) => void;
  /** Streams with queued data that wait for connection window, served round-robin. */
  private waiting: Stream<S>[] = [];
  /**
   * The last DATA frame in the output written by `writeNow`: where it ends (-1: none that can
   * grow), its stream and its payload length, so the next write to that stream can extend it.
   */
  private lastDataEnd = -1;
  private lastDataStream = 0;
  private lastDataLength = 0;

  constructor(flow: FlowControl, flood: FloodBudget, flush: (s: Stream<S>, frames: number) => void) {
    this.flow = flow;
    this.flood = flood;
    this.flush = flush;
  }

  /**
   * Writes `n` octets (`head`, when given, then `data`) as DATA on `s` now: the caller has checked
   * that nothing is queued on `s` and that `n` fits both windows and `maxFrameSize`.
   */
  writeNow(
    out: ByteWriter,
    s: Stream<S>,
    data: Uint8Array,
    head: Uint8Array | undefined,
    n: number,
    maxFrameSize: number,
  ): void {
    if (
      this.lastDataEnd === out.pos &&
      this.lastDataStream === s.id &&
      this.lastDataLength + n <= maxFrameSize
    ) {
      // The frame just written is this stream's DATA (no END_STREAM, nothing after it): it grows
      // instead of a new frame following it, so a stream of small messages (a gRPC stream of
      // 100-byte messages) costs the peer one frame per batch, not per message.
      const header = this.lastDataEnd - this.lastDataLength - 9; // its 24-bit length first
      const length = this.lastDataLength + n;
      this.lastDataLength = length;
      if (head !== undefined) out.bytes(head);
      out.bytes(data);
      const b = out.buf;
      b[header] = length >>> 16;
      b[header + 1] = (length >>> 8) & 0xff;
      b[header + 2] = length & 0xff;
    } else {
      writeFrameHeader(out, n, FrameType.DATA, 0, s.id);
      if (head !== undefined) out.bytes(head);
      out.bytes(data);
      this.lastDataStream = s.id;
      this.lastDataLength = n;
      this.flood.refund();
    }
    this.lastDataEnd = out.pos;
    s.sendWindow -= n;
    this.flow.sendWindow -= n;
    this.octetsSent += n;
  }

  /** The output was taken: the frame written last is on its way, and nothing may grow it now. */
  outputTaken(): void {
    this.lastDataEnd = -1;
  }

  /**
   * Sends what the windows allow of `s`'s queue, at most `frames` DATA frames (-1: no limit).
   * Returns true when the last one carried END_STREAM (the end was asked for with no trailers).
   */
  sendQueued(out: ByteWriter, s: Stream<S>, frames: number, maxFrameSize: number): boolean {
    const flow = this.flow;
    let budget = frames;
    while (s.queued > 0 && budget !== 0) {
      const room = Math.min(s.sendWindow, flow.sendWindow, maxFrameSize);
      if (room <= 0) break;
      const chunk = s.queue[0]!;
      const n = Math.min(chunk.length, room);
      const last = n === s.queued && s.endQueued && (s.trailers === undefined || s.trailers.length === 0);
      writeData(out, s.id, n === chunk.length ? chunk : chunk.subarray(0, n), last);
      if (n === chunk.length) s.queue.shift();
      else s.queue[0] = chunk.subarray(n);
      s.queued -= n;
      s.sendWindow -= n;
      flow.sendWindow -= n;
      this.octetsSent += n;
      this.flood.refund();
      budget--;
      if (last) return true;
    }
    return false;
  }

  /** `s` has data queued: it waits its turn when the connection's window alone holds it back. */
  waitIfHeld(s: Stream<S>): void {
    if (s.sendWindow > 0 && this.flow.sendWindow <= 0 && !s.inSendList) {
      s.inSendList = true;
      this.waiting.push(s);
    }
  }

  /**
   * Serves the streams waiting for connection window, one DATA frame each per round, until the
   * window or the list runs out; those not reached go first next time.
   */
  serve(): void {
    const flow = this.flow;
    for (let rounds = 0; this.waiting.length > 0 && flow.sendWindow > 0 && rounds < 1_000_000; rounds++) {
      const list = this.waiting;
      this.waiting = [];
      const served: Stream<S>[] = [];
      let i = 0;
      for (; i < list.length && flow.sendWindow > 0; i++) {
        const s = list[i]!;
        // s.inSendList stays true meanwhile, so the flush does not add it again.
        if (s.state !== STATE_CLOSED) this.flush(s, 1);
        if (s.state !== STATE_CLOSED && s.queued > 0 && s.sendWindow > 0) served.push(s);
        else s.inSendList = false;
      }
      this.waiting = list.slice(i).concat(this.waiting, served);
    }
  }
}
