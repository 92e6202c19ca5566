/**
 * Flow control both ways (§5.2, §6.9): the connection's send window (what the peer lets us send)
 * and receive window (what we let the peer send, as the peer sees it), and the accounting of
 * WINDOW_UPDATE: octets the application consumed go back to the peer, per stream and for the
 * connection, once enough of a window is used. The per-stream windows live on the stream record;
 * the functions here take it. What to send within the windows is the send scheduler's.
 */
import type { ByteWriter } from "../byte-writer.js";
import { ErrorCode, Http2Error } from "../errors.js";
import { MAX_WINDOW_SIZE } from "../frame/frame-types.js";
import { writeWindowUpdate } from "../frame/frame-writer.js";
import { STATE_HALF_CLOSED_LOCAL, STATE_OPEN, type Stream } from "./stream-record.js";

/** The initial window of every stream and of the connection (§6.9.2). */
export const DEFAULT_WINDOW = 65535;

/**
 * When to return consumed octets with WINDOW_UPDATE: once half the window is consumed, or once
 * the peer has half a window or less left and an eighth is consumed (so a reader that keeps up
 * never lets the peer stall, and small reads do not each cost a frame).
 */
export function shouldUpdateWindow(unacked: number, window: number, target: number): boolean {
  if (unacked <= 0) return false;
  return unacked * 2 >= target || (window * 2 <= target && unacked * 8 >= target) || window <= 0;
}

/** The connection's two windows and the octets consumed but not yet returned. */
export class FlowControl {
  /** What we may still send on the connection. */
  sendWindow = DEFAULT_WINDOW;
  /** What the peer may still send us on the connection (as the peer sees it). */
  recvWindow = DEFAULT_WINDOW;
  /** Consumed by the application, not yet returned with WINDOW_UPDATE. */
  unacked = 0;
  /** The receive window we keep the connection at (raised by `raiseTarget`). */
  target: number;

  constructor(target: number) {
    this.target = target;
  }

  /** Raises the connection's window from the protocol's 65535 to `target` (our first output). */
  announceTarget(out: ByteWriter): void {
    if (this.target > DEFAULT_WINDOW) {
      writeWindowUpdate(out, 0, this.target - DEFAULT_WINDOW);
      this.recvWindow = this.target;
    }
  }

  /** Raises the connection's window to a larger `target` at once (WINDOW_UPDATE). */
  raiseTarget(out: ByteWriter, target: number): void {
    if (target <= this.target) return;
    const raise = target - this.target;
    writeWindowUpdate(out, 0, raise);
    this.recvWindow += raise;
    this.target = target;
  }

  /** DATA of `flowLength` octets (padding included) arrived: a connection error past the window. */
  received(flowLength: number): void {
    this.recvWindow -= flowLength;
    if (this.recvWindow < 0) {
      throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
  }

  /** The peer's WINDOW_UPDATE for the connection: a connection error past the largest window. */
  windowUpdate(increment: number): void {
    this.sendWindow += increment;
    if (this.sendWindow > MAX_WINDOW_SIZE) {
      throw new Http2Error(ErrorCode.FLOW_CONTROL_ERROR, "WINDOW_UPDATE overflows the connection window");
    }
  }

  /**
   * The application used `length` octets of `s`'s data: they are returned to the peer's stream
   * window (`target`: the stream window the peer applies), with WINDOW_UPDATE once half a window
   * has been used. Nothing once the peer ended.
   */
  consumeStream(out: ByteWriter, s: Stream<unknown>, length: number, target: number): void {
    if (s.state !== STATE_OPEN && s.state !== STATE_HALF_CLOSED_LOCAL) return;
    s.unacked += length;
    if (shouldUpdateWindow(s.unacked, s.recvWindow, target)) returnStreamOctets(out, s);
  }

  /** The connection-level half of `consume`: for every octet delivered, also after a close. */
  consumeConnection(out: ByteWriter, length: number): void {
    this.unacked += length;
    if (shouldUpdateWindow(this.unacked, this.recvWindow, this.target)) this.returnOctets(out);
  }

  /** Returns every consumed octet not yet returned, of the streams still receiving and the connection. */
  returnAll(out: ByteWriter, streams: readonly Stream<unknown>[]): void {
    for (const s of streams) {
      if (s.unacked > 0 && (s.state === STATE_OPEN || s.state === STATE_HALF_CLOSED_LOCAL))
        returnStreamOctets(out, s);
    }
    if (this.unacked > 0) this.returnOctets(out);
  }

  /** Returns the octets consumed to the peer's connection window (WINDOW_UPDATE). */
  private returnOctets(out: ByteWriter): void {
    writeWindowUpdate(out, 0, this.unacked);
    this.recvWindow += this.unacked;
    this.unacked = 0;
  }
}

/** Returns the octets `s`'s application consumed to the peer's stream window (WINDOW_UPDATE). */
function returnStreamOctets(out: ByteWriter, s: Stream<unknown>): void {
  writeWindowUpdate(out, s.id, s.unacked);
  s.recvWindow += s.unacked;
  s.unacked = 0;
}
