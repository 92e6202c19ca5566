/**
 * Writers that wrote past what a connection's socket should hold, waiting for it to take the
 * output, for both sides of our engine. Whether they wait is decided after the output was written
 * (`settle`, at the end of each flush), not when they wrote: the engine's own output buffer counts
 * in the backlog, and a socket that then takes it all at once emits no 'drain', so hooking 'drain'
 * at write time could wait forever.
 */
import type { Socket } from "node:net";

export interface SocketDrainWaiter {
  /** The socket took the output: write on (ignored by a stream that closed meanwhile). */
  onSocketDrain(): void;
}

export class SocketDrainWaiters {
  private readonly socket: Socket;
  private waiting: SocketDrainWaiter[] = [];
  /** A 'drain' listener is registered (at most one at a time). */
  private hooked = false;

  constructor(socket: Socket) {
    this.socket = socket;
  }

  /** `writer` waits; the caller makes sure a flush (and so `settle`) follows. */
  add(writer: SocketDrainWaiter): void {
    this.waiting.push(writer);
  }

  /** After output was handed to the socket: go on now if it took it all, else at its 'drain'. */
  settle(): void {
    if (this.waiting.length === 0 || this.hooked) return;
    if (!this.socket.writableNeedDrain) {
      this.release();
      return;
    }
    this.hooked = true;
    this.socket.once("drain", () => {
      this.hooked = false;
      this.release();
    });
  }

  /** Tells every waiting writer (also when the socket closed: their writes are ignored then). */
  release(): void {
    const waiting = this.waiting;
    if (waiting.length === 0) return;
    this.waiting = [];
    for (const w of waiting) w.onSocketDrain();
  }
}
