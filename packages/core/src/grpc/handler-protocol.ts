import type { ServerWireProtocol } from "../wire-protocol.js";
import { grpcContentType } from "./content-type.js";

const same = (bytes: Uint8Array): Uint8Array => bytes;
const nothing = (): void => {};
const httpTrailers = (): undefined => undefined;
const byCodec = new Map<string, ServerWireProtocol>();

/**
 * The server side of gRPC over HTTP/2 (PROTOCOL-HTTP2.md): bodies are length-prefixed messages as
 * they are, and the status goes in HTTP/2 trailers. It holds no per-call state, so one object per
 * codec serves every call.
 */
export function grpcHandlerProtocol(codec: string): ServerWireProtocol {
  let p = byCodec.get(codec);
  if (p === undefined) {
    p = {
      name: "grpc",
      contentType: grpcContentType(codec),
      decodeRequestBody: same,
      endRequestBody: nothing,
      encodeResponseBody: same,
      trailerFrame: httpTrailers,
      finishHeaders: nothing,
      plainHeaders: true,
    };
    if (byCodec.size < 64) byCodec.set(codec, p);
  }
  return p;
}
