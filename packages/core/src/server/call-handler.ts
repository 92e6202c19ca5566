/**
 * The server's handling of incoming streams, runtime-neutral: a request's validation (method,
 * content type and so wire protocol, HTTP version, path, codec, timeout, encoding), the answer to
 * one that fails it (a trailers-only status), and the running calls (server-call.ts). A runtime
 * hands it each stream its engines accept (stream.ts) and adds listening, sockets and shutdown.
 */
import { Code } from "../code.js";
import type { Compression, CompressionRegistry } from "../compression.js";
import { DEFAULT_MAX_RECEIVE_MESSAGE_BYTES } from "../envelope.js";
import { parseContentType } from "../grpc/content-type.js";
import { grpcHandlerProtocol } from "../grpc/handler-protocol.js";
import { statusToTrailers } from "../grpc/trailers.js";
import { parseWebContentType } from "../grpc-web/content-type.js";
import { type CorsOptions, createCors } from "../grpc-web/cors.js";
import { grpcWebHandlerProtocol } from "../grpc-web/handler-protocol.js";
import { fieldValue, type HeaderFields } from "../header-fields.js";
import type { Router } from "../router.js";
import { RpcError } from "../rpc-error.js";
import { decodeTimeout } from "../timeout.js";
import type { ServerWireProtocol } from "../wire-protocol.js";
import { CallList } from "./call-list.js";
import { type CallConfig, ServerCall } from "./server-call.js";
import type { ServerStream, ServerStreamListener } from "./stream.js";

export interface CallHandlerOptions {
  /** The services; a path it has no route for answers UNIMPLEMENTED. */
  readonly router: Router;
  /** The compression algorithms offered (identity is always there). */
  readonly compression: CompressionRegistry;
  /** Largest request message accepted, after decompression (default 4 MiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message sent (default unlimited). */
  readonly maxSendMessageBytes?: number;
  /** `mirror` (default), `identity`, or an algorithm name: see the server's options. */
  readonly responseCompression?: string;
  /** Serve gRPC-Web beside gRPC (default true). */
  readonly grpcWeb?: boolean;
  /** CORS for gRPC-Web calls from pages of other origins (default: none). */
  readonly cors?: CorsOptions;
  /** Buffers for response envelopes (default `new Uint8Array`). */
  readonly allocate?: (size: number) => Uint8Array;
}

export interface CallHandler {
  /** Takes one incoming stream: answers it at once when it is no valid call, else runs the call. */
  handle(stream: ServerStream): void;
  /** From now on new streams are refused with UNAVAILABLE ("the server is shutting down"). */
  refuseNewCalls(): void;
  /** Ends every running call with `error` (the handlers' signals fire). */
  cancelAll(error: RpcError): void;
  /** The calls running now. */
  readonly running: number;
  /** Resolves when no call is running (at once when none is). */
  idle(): Promise<void>;
}

const NO_FIELDS: HeaderFields = Object.freeze([]);
const ignoreListener: ServerStreamListener = { onData() {}, onEnd() {}, onDrain() {}, onClose() {} };

export function createCallHandler(options: CallHandlerOptions): CallHandler {
  const { router, compression } = options;
  const calls = new CallList<ServerCall>();
  let accepting = true;
  let idleWaiters: (() => void)[] = [];
  const grpcWeb = options.grpcWeb ?? true;
  const cors = options.cors === undefined ? undefined : createCors(options.cors);

  const config: CallConfig = {
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    maxSendMessageBytes: options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY,
    compression,
    responseCompression: options.responseCompression ?? "mirror",
    allocate: options.allocate,
    onCallEnd(call) {
      calls.delete(call);
      if (calls.size === 0 && idleWaiters.length > 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    },
  };

  /** Ends a stream before any call exists: trailers-only with a status (and an HTTP status). */
  function reject(
    stream: ServerStream,
    httpStatus: number,
    error: RpcError,
    wire?: ServerWireProtocol,
    extra: HeaderFields = NO_FIELDS,
  ): void {
    stream.listen(ignoreListener);
    const fields = [":status", String(httpStatus), "content-type", wire?.contentType ?? "application/grpc"];
    for (let i = 0; i < extra.length; i++) fields.push(extra[i]!);
    const status = statusToTrailers(error, undefined);
    for (let i = 0; i < status.length; i++) fields.push(status[i]!);
    wire?.finishHeaders(fields);
    stream.respond(fields, true);
  }

  /** The wire protocol a request's content type asks for: gRPC, gRPC-Web (binary or text), or none. */
  function wireProtocolOf(
    stream: ServerStream,
    ct: string | undefined,
  ): { codec: string; wire: ServerWireProtocol } | undefined {
    const grpc = parseContentType(ct);
    if (grpc !== undefined) return { codec: grpc.codec, wire: grpcHandlerProtocol(grpc.codec) };
    const web = grpcWeb ? parseWebContentType(ct) : undefined;
    if (web === undefined) return undefined;
    const finishHeaders = cors?.forOrigin(fieldValue(stream.requestFields, "origin"));
    return {
      codec: web.codec,
      wire: grpcWebHandlerProtocol({
        codec: web.codec,
        text: web.text,
        ...(finishHeaders === undefined ? {} : { finishHeaders }),
      }),
    };
  }

  function unimplemented(path: string): RpcError {
    const slash = path.lastIndexOf("/");
    const service = path.slice(1, slash);
    return router.hasService(service)
      ? new RpcError(Code.UNIMPLEMENTED, `unknown method ${path.slice(slash + 1)} for service ${service}`)
      : new RpcError(Code.UNIMPLEMENTED, `unknown service ${service || path}`);
  }

  function handle(stream: ServerStream): void {
    const fields = stream.requestFields;
    const method = fieldValue(fields, ":method");
    if (cors !== undefined && method === "OPTIONS") {
      stream.listen(ignoreListener);
      stream.respond(cors.preflight(fields), true);
      return;
    }
    const ct = fieldValue(fields, "content-type");
    const parsed = wireProtocolOf(stream, ct);
    const wire = parsed?.wire;
    if (!accepting) {
      reject(stream, 200, new RpcError(Code.UNAVAILABLE, "the server is shutting down"), wire);
      return;
    }
    if (method !== "POST") {
      reject(stream, 405, new RpcError(Code.INTERNAL, `gRPC requires POST, not ${method}`), wire);
      return;
    }
    if (parsed === undefined) {
      reject(
        stream,
        415,
        new RpcError(Code.INTERNAL, `invalid gRPC request content-type ${JSON.stringify(ct ?? "")}`),
      );
      return;
    }
    if (stream.httpVersion === "1.1" && parsed.wire.name === "grpc") {
      reject(
        stream,
        505,
        new RpcError(
          Code.INTERNAL,
          "gRPC requires HTTP/2, and this request came over HTTP/1.1 (over HTTP/1.1 use gRPC-Web: application/grpc-web)",
        ),
      );
      return;
    }
    const path = fieldValue(fields, ":path") ?? "";
    const route = router.get(path);
    if (route === undefined) {
      reject(stream, 200, unimplemented(path), wire);
      return;
    }
    const codec = route.method.codecs[parsed.codec];
    if (codec === undefined) {
      reject(
        stream,
        200,
        new RpcError(Code.INTERNAL, `codec "${parsed.codec}" is not supported for ${path}`),
        wire,
      );
      return;
    }
    if (stream.httpVersion === "1.1" && route.method.requestStream && route.method.responseStream) {
      // An HTTP/1.1 exchange is half-duplex in practice (browsers, proxies): the request body ends
      // before the response is read, so a bidi handler waiting for a reply would deadlock.
      reject(
        stream,
        200,
        new RpcError(
          Code.UNIMPLEMENTED,
          `bidirectional streaming (${path}) needs HTTP/2; this gRPC-Web request came over HTTP/1.1`,
        ),
        wire,
      );
      return;
    }
    let deadline: number | undefined;
    let requestCompression: Compression | undefined;
    try {
      const timeout = fieldValue(fields, "grpc-timeout");
      if (timeout !== undefined) deadline = Date.now() + decodeTimeout(timeout);
      requestCompression = compression.forEncoding(fieldValue(fields, "grpc-encoding"));
    } catch (e) {
      const err = RpcError.from(e, Code.INTERNAL);
      reject(
        stream,
        200,
        err,
        wire,
        err.code === Code.UNIMPLEMENTED ? ["grpc-accept-encoding", compression.acceptEncoding] : NO_FIELDS,
      );
      return;
    }
    const call = new ServerCall(stream, config, {
      route,
      codecName: parsed.codec,
      codec,
      requestCompression,
      deadline,
      protocol: parsed.wire,
    });
    calls.add(call);
    call.start();
  }

  return {
    handle,
    refuseNewCalls() {
      accepting = false;
    },
    cancelAll(error) {
      for (const call of calls.toArray()) call.cancel(error);
    },
    get running() {
      return calls.size;
    },
    idle() {
      if (calls.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
