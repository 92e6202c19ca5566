import { Code } from "./code.js";
import type { Compression } from "./compression.js";
import { encodeEnvelope, Flag } from "./envelope.js";
import { sendOptionsOf } from "./message-flags.js";
import type { Serializer } from "./method.js";
import { RpcError } from "./rpc-error.js";

/**
 * One message's payload, not yet in an envelope (for a sender that writes the prefix itself, see
 * `writeEnvelopePrefix`): encoding failures are INTERNAL, a message over `maxBytes` is
 * RESOURCE_EXHAUSTED, naming `what` ("request"/"response").
 */
export function serializeMessage(
  serializer: Serializer<unknown>,
  message: unknown,
  what: string,
  maxBytes: number,
): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = serializer.serialize(message);
  } catch (e) {
    throw new RpcError(Code.INTERNAL, `could not encode the ${what} message: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (bytes.length > maxBytes) {
    throw new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `${what} message of ${bytes.length} bytes is larger than the send limit of ${maxBytes} bytes`,
    );
  }
  return bytes;
}

/**
 * The sending half of a call, on either side (the counterpart of MessageReader): one message to
 * one length-prefixed envelope. Encoding failures are INTERNAL, a message over `maxBytes` is
 * RESOURCE_EXHAUSTED, naming `what` ("request"/"response"). It is compressed when the stream has
 * an algorithm, unless the message asks not to be (`withSendOptions(msg, { compress: false })`).
 * Without compression the envelope is returned at once; with it, a promise.
 */
export function frameMessage(
  serializer: Serializer<unknown>,
  message: unknown,
  what: string,
  maxBytes: number,
  compression: undefined,
  alloc?: (n: number) => Uint8Array,
): Uint8Array;
export function frameMessage(
  serializer: Serializer<unknown>,
  message: unknown,
  what: string,
  maxBytes: number,
  compression: Compression | undefined,
  alloc?: (n: number) => Uint8Array,
): Uint8Array | Promise<Uint8Array>;
export function frameMessage(
  serializer: Serializer<unknown>,
  message: unknown,
  what: string,
  maxBytes: number,
  compression: Compression | undefined,
  alloc?: (n: number) => Uint8Array,
): Uint8Array | Promise<Uint8Array> {
  const bytes = serializeMessage(serializer, message, what, maxBytes);
  if (compression === undefined || sendOptionsOf(message)?.compress === false) {
    return encodeEnvelope(0, bytes, alloc);
  }
  return compression.compress(bytes).then((c) => encodeEnvelope(Flag.COMPRESSED, c, alloc));
}
