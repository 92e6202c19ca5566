// The bytes on the wire that the harness itself builds or checks: method paths, gRPC envelopes,
// and the request bodies that h2load sends.
import { writeFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import { PayloadSchema, StreamRequestSchema } from "../gen/bench_pb.js";
import { makeBody } from "./body.js";

export const SERVICE = "grpcts.bench.Bench";
export const UNARY_PATH = `/${SERVICE}/Unary`;
export const SERVER_STREAM_PATH = `/${SERVICE}/ServerStream`;

/** Payload size of the unary echo ("a small message"). */
export const UNARY_BODY_BYTES = 16;

/** A length-prefixed gRPC message (uncompressed). */
export function envelope(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The serialized `Payload` message with a body of `size` bytes. */
export function payloadBytes(size: number): Uint8Array {
  return toBinary(PayloadSchema, create(PayloadSchema, { body: makeBody(size) }));
}

/** The enveloped unary request (and, echoed, the response) that h2load and the raw client send. */
export function unaryRequestEnvelope(): Buffer {
  return envelope(payloadBytes(UNARY_BODY_BYTES));
}

/** The enveloped `StreamRequest` asking for `count` messages of `size` bytes. */
export function streamRequestEnvelope(count: number, size: number): Buffer {
  return envelope(toBinary(StreamRequestSchema, create(StreamRequestSchema, { count, size })));
}

/** Length of the enveloped `Payload` with a body of `size` bytes, as a server sends it. */
export function payloadEnvelopeLength(size: number): number {
  return 5 + payloadBytes(size).length;
}

/** Writes a request body for h2load's `-d` and returns the path. */
export function writeRequestFile(path: string, bytes: Uint8Array): string {
  writeFileSync(path, bytes);
  return path;
}
