import type { ServerWireProtocol } from "../wire-protocol.js";
import { grpcWebContentType } from "./content-type.js";
import { Base64StreamDecoder, encodeTextSegment } from "./text.js";
import { encodeTrailerFrame } from "./trailers.js";

export interface WebHandlerProtocolOptions {
  readonly codec: string;
  /** `application/grpc-web-text`: the request body is base64, and so is the response body. */
  readonly text: boolean;
  /** Adds headers to each response before it is sent (CORS, for instance). */
  readonly finishHeaders?: (fields: string[]) => void;
}

/**
 * The server side of gRPC-Web (PROTOCOL-WEB.md) for one call: the response has the gRPC-Web
 * content type of the request's format, the status goes in a trailer frame (flag 0x80) at the end
 * of the body, and in text mode each write is one padded base64 segment (a client must accept
 * padding in the middle of the body, so every flush may be sent as soon as it is made).
 * A response with no message yet is still trailers-only (status in the headers), as the spec allows.
 */
export function grpcWebHandlerProtocol(o: WebHandlerProtocolOptions): ServerWireProtocol {
  const finish = o.finishHeaders ?? (() => {});
  if (!o.text) {
    return {
      name: "grpc-web",
      contentType: grpcWebContentType(o.codec, false),
      decodeRequestBody: (chunk) => chunk,
      endRequestBody: () => {},
      encodeResponseBody: (bytes) => bytes,
      trailerFrame: (trailers) => encodeTrailerFrame(trailers),
      finishHeaders: finish,
      plainHeaders: o.finishHeaders === undefined,
    };
  }
  const decoder = new Base64StreamDecoder();
  return {
    name: "grpc-web-text",
    contentType: grpcWebContentType(o.codec, true),
    decodeRequestBody: (chunk) => decoder.push(chunk),
    endRequestBody: () => decoder.end(),
    encodeResponseBody: encodeTextSegment,
    trailerFrame: (trailers) => encodeTextSegment(encodeTrailerFrame(trailers)),
    finishHeaders: finish,
    plainHeaders: o.finishHeaders === undefined,
  };
}
