import type { Socket } from "node:net";

/** The first bytes of every HTTP/2 connection (RFC 9113 §3.4): the "prior knowledge" preface. */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Tells HTTP/2 from HTTP/1.x on a plaintext connection by its first bytes, without consuming them:
 * the bytes read are put back (`unshift`) and the socket left paused before `decide` is called, so
 * the chosen server reads the connection from its start. A connection that sends nothing within
 * `idleMs`, or closes first, is destroyed.
 */
export function sniffHttpVersion(socket: Socket, decide: (http2: boolean) => void, idleMs = 60_000): void {
  let seen: Buffer | undefined;
  const timer = setTimeout(() => socket.destroy(), idleMs);
  const cleanup = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("close", cleanup);
  };
  const onData = (chunk: Buffer) => {
    seen = seen === undefined ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const samePrefix = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (samePrefix && n < PREFACE.length) return; // could still be HTTP/2: wait for more bytes
    cleanup();
    socket.pause();
    socket.unshift(seen);
    decide(samePrefix);
  };
  socket.on("data", onData);
  socket.on("close", cleanup);
  socket.on("error", () => {});
}
