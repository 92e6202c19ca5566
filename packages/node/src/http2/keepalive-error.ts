/** The error a connection dies of when the peer answered none of our keepalive PINGs (both engines). */
export function keepaliveTimedOut(timeoutMs: number): Error {
  return new Error(`keepalive timed out: no answer to a PING within ${timeoutMs} ms`);
}
