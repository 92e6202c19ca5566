/**
 * Per-message facts that travel beside a message rather than inside it, on both the client and
 * the server side:
 * - `withSendOptions(msg, { compress: false })` sends that one message uncompressed even when the
 *   stream has an encoding (gRPC allows mixing, message by message);
 * - `wasCompressed(msg)` tells whether a received message arrived with the compressed flag.
 * Both work for object messages (protobuf-es messages are objects); they cost nothing unless used.
 */
export interface MessageSendOptions {
  /** false: send uncompressed even when the stream compresses. */
  readonly compress?: boolean;
}

const sendOptions = new WeakMap<object, MessageSendOptions>();
const compressed = new WeakSet<object>();

/** Attaches send options to a message object and returns it. */
export function withSendOptions<T extends object>(message: T, options: MessageSendOptions): T {
  sendOptions.set(message, options);
  return message;
}

/** The send options attached to a message, if any. */
export function sendOptionsOf(message: unknown): MessageSendOptions | undefined {
  return typeof message === "object" && message !== null ? sendOptions.get(message) : undefined;
}

/** Records that a received message arrived compressed (called by transports). */
export function markCompressed(message: unknown): void {
  if (typeof message === "object" && message !== null) compressed.add(message);
}

/** Whether a received message arrived with the compressed flag set. */
export function wasCompressed(message: unknown): boolean {
  return typeof message === "object" && message !== null && compressed.has(message);
}
