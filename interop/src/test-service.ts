/**
 * grpc.testing.TestService on grpc-ts: the server features of grpc/grpc
 * doc/interop-test-descriptions.md (EmptyCall, UnaryCall, CacheableUnaryCall, StreamingInputCall,
 * StreamingOutputCall, FullDuplexCall, HalfDuplexCall, CompressedRequest, CompressedResponse,
 * Echo Status, Echo Metadata, interval_us), plus the bulk fill of this project's `bulk` case.
 * UnimplementedCall is deliberately left out: the server answers it UNIMPLEMENTED.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  type HandlerContext,
  RpcError,
  type ServiceImpl,
  wasCompressed,
  withSendOptions,
} from "@grpc-ts/node";
import type {
  BoolValue,
  EchoStatus,
  ResponseParameters,
  StreamingOutputCallResponseSchema,
} from "../gen/grpc/testing/messages_pb.js";
import type { TestService } from "../gen/grpc/testing/test_pb.js";
import {
  BULK_FILL_KEY,
  BULK_FILL_VALUE,
  bulkBody,
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
  zeros,
} from "./constants.js";

type StreamingResponseInit = MessageInitShape<typeof StreamingOutputCallResponseSchema>;

/** Echo Metadata: the initial key goes back in the response headers, the trailing key in the trailers. */
function echoMetadata(ctx: HandlerContext): void {
  const initial = ctx.metadata.get(ECHO_INITIAL_KEY);
  if (initial !== undefined) ctx.responseHeader.set(ECHO_INITIAL_KEY, initial);
  const trailing = ctx.metadata.get(ECHO_TRAILING_KEY);
  if (trailing !== undefined) ctx.responseTrailer.set(ECHO_TRAILING_KEY, trailing);
}

/** Echo Status: a non-OK `response_status` ends the call with that code and message. */
function echoStatus(status: EchoStatus | undefined): void {
  if (status !== undefined && status.code !== 0) throw new RpcError(status.code as Code, status.message);
}

/** CompressedRequest: the request's compressed flag must match `expect_compressed` when it is set. */
function checkExpectCompressed(expect: BoolValue | undefined, message: object): void {
  if (expect === undefined) return;
  const compressed = wasCompressed(message);
  if (expect.value && !compressed)
    throw new RpcError(Code.INVALID_ARGUMENT, "expected a compressed request, got an uncompressed one");
  if (!expect.value && compressed)
    throw new RpcError(Code.INVALID_ARGUMENT, "expected an uncompressed request, got a compressed one");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Streams shaped by ResponseParameters: sleeps `interval_us` before each response, compresses or
 * not per `compressed`, and fills bodies with zeros (or the bulk pattern when the request asked).
 */
class ResponseWriter {
  readonly #ctx: HandlerContext;
  readonly #bulk: boolean;
  #index = 0;
  #compressing = false;

  constructor(ctx: HandlerContext) {
    this.#ctx = ctx;
    this.#bulk = ctx.metadata.get(BULK_FILL_KEY) === BULK_FILL_VALUE;
  }

  /** Turns on response compression for the call if any of these responses asks for it. */
  prepare(params: readonly ResponseParameters[]): void {
    if (this.#compressing || !params.some((p) => p.compressed?.value === true)) return;
    this.#ctx.setCompression("gzip");
    this.#compressing = true;
  }

  async next(p: ResponseParameters): Promise<StreamingResponseInit> {
    if (p.intervalUs > 0) await sleep(p.intervalUs / 1000, this.#ctx.signal);
    const index = this.#index++;
    const body = this.#bulk ? bulkBody(index, p.size) : zeros(p.size);
    const response: StreamingResponseInit = { payload: { body } };
    // An explicit `compressed: false` sends this message uncompressed even on a compressing stream.
    return p.compressed !== undefined && !p.compressed.value
      ? withSendOptions(response, { compress: false })
      : response;
  }
}

export const testServiceImpl: ServiceImpl<typeof TestService> = {
  emptyCall(_request, ctx) {
    echoMetadata(ctx);
    return {};
  },

  unaryCall(request, ctx) {
    echoMetadata(ctx);
    echoStatus(request.responseStatus);
    checkExpectCompressed(request.expectCompressed, request);
    if (request.responseType !== 0)
      throw new RpcError(Code.INVALID_ARGUMENT, `unsupported response_type ${request.responseType}`);
    if (request.responseCompressed !== undefined)
      ctx.setCompression(request.responseCompressed.value ? "gzip" : "identity");
    return { payload: { body: zeros(request.responseSize) } };
  },

  cacheableUnaryCall(_request, ctx) {
    echoMetadata(ctx);
    ctx.responseHeader.set("cache-control", "max-age=60, public");
    return { payload: { body: new TextEncoder().encode(process.hrtime.bigint().toString()) } };
  },

  async streamingInputCall(requests, ctx) {
    echoMetadata(ctx);
    let aggregatedPayloadSize = 0;
    for await (const request of requests) {
      checkExpectCompressed(request.expectCompressed, request);
      aggregatedPayloadSize += request.payload?.body.length ?? 0;
    }
    return { aggregatedPayloadSize };
  },

  async *streamingOutputCall(request, ctx) {
    echoMetadata(ctx);
    echoStatus(request.responseStatus);
    const writer = new ResponseWriter(ctx);
    writer.prepare(request.responseParameters);
    for (const p of request.responseParameters) yield await writer.next(p);
  },

  async *fullDuplexCall(requests, ctx) {
    echoMetadata(ctx);
    const writer = new ResponseWriter(ctx);
    for await (const request of requests) {
      echoStatus(request.responseStatus);
      writer.prepare(request.responseParameters);
      for (const p of request.responseParameters) yield await writer.next(p);
    }
  },

  async *halfDuplexCall(requests, ctx) {
    echoMetadata(ctx);
    const all = [];
    for await (const request of requests) {
      echoStatus(request.responseStatus);
      all.push(request);
    }
    const writer = new ResponseWriter(ctx);
    for (const request of all) writer.prepare(request.responseParameters);
    for (const request of all) for (const p of request.responseParameters) yield await writer.next(p);
  },
};
