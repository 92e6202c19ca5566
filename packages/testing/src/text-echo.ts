// A service of strings for the core's tests: `test.Echo` with one method of each kind, whose
// messages are plain UTF-8 text (no protobuf). Runtime-neutral.
import { defineService, type Serializer } from "@grpc-ts/core";

/** UTF-8 text as a message. */
export const text: Serializer<string> = {
  serialize: (s) => new TextEncoder().encode(s),
  deserialize: (b) => new TextDecoder().decode(b),
};

/** `test.Echo`: unary, serverStream, clientStream and bidi, each of strings. */
export const TextEcho = defineService("test.Echo", {
  unary: { kind: "unary", request: text, response: text },
  serverStream: { kind: "server_streaming", request: text, response: text },
  clientStream: { kind: "client_streaming", request: text, response: text },
  bidi: { kind: "bidi_streaming", request: text, response: text },
});
