import { Code } from "../code.js";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES, EnvelopeDecoder, Flag } from "../envelope.js";
import { RpcError } from "../rpc-error.js";
import { Base64StreamDecoder } from "./text.js";
import { parseTrailerBlock } from "./trailers.js";

export interface WebResponseBodyOptions {
  /** The response is `application/grpc-web-text` (base64). */
  readonly text: boolean;
  readonly maxReceiveMessageBytes?: number;
}

/**
 * The client side of a gRPC-Web response body (PROTOCOL-WEB.md): chunks split anywhere (and, in
 * text mode, base64 with padding anywhere between 4-character groups) become data messages and,
 * last, the trailer frame. Anything after the trailer frame, a compressed frame (gRPC-Web leaves
 * compression to HTTP), or an end without a trailer frame is INTERNAL.
 */
export class WebResponseBody {
  readonly #envelopes: EnvelopeDecoder;
  readonly #text: Base64StreamDecoder | undefined;
  #trailers: Record<string, string | string[]> | undefined;

  constructor(options: WebResponseBodyOptions) {
    this.#envelopes = new EnvelopeDecoder(
      options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
      Flag.COMPRESSED | Flag.TRAILER,
    );
    this.#text = options.text ? new Base64StreamDecoder() : undefined;
  }

  /** The trailer frame's entries, once it has arrived. */
  get trailers(): Record<string, string | string[]> | undefined {
    return this.#trailers;
  }

  /**
   * Feeds a chunk of the body; `onMessage` gets each complete data message (a view that is valid
   * only during the call). Throws RpcError for a malformed body.
   */
  push(chunk: Uint8Array, onMessage: (payload: Uint8Array) => void): void {
    const bytes = this.#text === undefined ? chunk : this.#text.push(chunk);
    if (bytes.length === 0) return;
    if (this.#trailers !== undefined) throw afterTrailers();
    this.#envelopes.push(bytes, (flags, payload) => {
      if (this.#trailers !== undefined) throw afterTrailers();
      if ((flags & Flag.COMPRESSED) !== 0) {
        throw new RpcError(
          Code.INTERNAL,
          "received a compressed gRPC-Web frame, but no message compression was negotiated",
        );
      }
      if ((flags & Flag.TRAILER) !== 0) this.#trailers = parseTrailerBlock(payload);
      else onMessage(payload);
    });
  }

  /** The body ended: returns the trailers, or throws INTERNAL for a cut-off body or a missing trailer frame. */
  end(): Record<string, string | string[]> {
    this.#text?.end();
    this.#envelopes.end();
    if (this.#trailers === undefined) {
      throw new RpcError(Code.INTERNAL, "the gRPC-Web response ended without a trailer frame (no status)");
    }
    return this.#trailers;
  }
}

function afterTrailers(): RpcError {
  return new RpcError(Code.INTERNAL, "the gRPC-Web response has data after its trailer frame");
}
