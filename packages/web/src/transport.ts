import { type ClientRequest, type ClientResponse, Code, RpcError, type Transport } from "@grpc-ts/core";
import { Call, type MethodCodec, methodCodec } from "@grpc-ts/core/protocol";
import { GrpcWebAttempt, type GrpcWebAttemptConfig } from "./attempt.js";
import { VERSION } from "./version.js";

export interface GrpcWebTransportOptions {
  /** The server's URL, e.g. `https://api.example.com` or `https://example.com/prefix`; the method path is appended. */
  readonly baseUrl: string;
  /**
   * `binary` (default): `application/grpc-web`. `text`: `application/grpc-web-text`, the body in
   * base64 (what Google's grpc-web client sends by default; needed by some proxies).
   */
  readonly format?: "binary" | "text";
  /** The fetch to use (default: the global one), e.g. to add logging or to call from a test. */
  readonly fetch?: typeof globalThis.fetch;
  /** Message codec: `proto` (default) or `json`, or any codec the methods define. */
  readonly codec?: string;
  /** Largest response message accepted (default 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest request message sent (default unlimited). */
  readonly maxSendMessageBytes?: number;
  /** fetch `credentials` (cookies and HTTP auth on cross-origin calls need `include` and a server allowing credentials). */
  readonly credentials?: "omit" | "same-origin" | "include";
}

/**
 * A gRPC-Web transport over `fetch` for `createClient(Service, transport)`. Each call is the
 * core's `Call` (the Node channel's call machine) carried by one `fetch` (attempt.ts).
 *
 * - Unary and server streaming; response messages come out as their bytes arrive in the body, and
 *   the body is read no faster than the caller takes them.
 * - Client streaming: fetch cannot stream a request body over HTTP/1.1, so the request messages are
 *   collected first and sent as one body (the server sees the same messages and end of stream).
 * - Bidirectional streaming is refused (UNIMPLEMENTED) before anything is sent: a browser cannot send
 *   request messages while it reads the response.
 * - Deadlines: `grpc-timeout` is sent and the call's timer aborts the fetch (DEADLINE_EXCEEDED).
 * - An `AbortSignal` aborts the fetch (CANCELLED, or the signal's reason when it is an `RpcError`);
 *   the server sees the connection or stream close.
 * - Request metadata become headers; response headers and the trailer frame become metadata;
 *   a status other than OK is thrown as `RpcError` with its details and trailers.
 */
export function createGrpcWebTransport(options: GrpcWebTransportOptions): Transport {
  const codecName = options.codec ?? "proto";
  const config: GrpcWebAttemptConfig = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    text: options.format === "text",
    codecName,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    maxReceiveMessageBytes: options.maxReceiveMessageBytes,
    maxSendMessageBytes: options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY,
    userAgent: `grpc-ts-web/${VERSION}`,
    credentials: options.credentials,
  };

  function call(req: ClientRequest): Promise<ClientResponse> {
    const method = req.method;
    if (method.requestStream && method.responseStream) {
      return Promise.reject(
        new RpcError(
          Code.UNIMPLEMENTED,
          `${method.path}: bidirectional streaming cannot be carried by gRPC-Web over fetch ` +
            "(a browser cannot send request messages while it reads the response); " +
            "use gRPC over HTTP/2 (e.g. @grpc-ts/node) for this method",
        ),
      );
    }
    let codec: MethodCodec<unknown, unknown>;
    try {
      codec = methodCodec(method, codecName);
    } catch (e) {
      return Promise.reject(RpcError.from(e));
    }
    return new Call(req, (c) => new GrpcWebAttempt(c, config, codec).start()).begin();
  }

  return { call };
}
