import { type ClientRequest, type ClientResponse, Code, RpcError, type Transport } from "@grpc-ts/core";
import {
  Call,
  type CallPlan,
  createMethodConfigIndex,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  type MethodCodec,
  type MethodConfig,
  type MethodConfigLookup,
  methodCodec,
  type PolicyConfigParser,
  parseServiceConfig,
  RetryBuffer,
  type RetryContext,
  RetryThrottle,
  realSchedule,
  retryPlanOf,
} from "@grpc-ts/core/protocol";
import { frameWebRequest, GrpcWebAttempt, type GrpcWebAttemptConfig } from "./attempt.js";
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
  /**
   * A service config (service_config.md, JSON text or its parsed value) for its method configs:
   * `timeout`, `maxRequestMessageBytes`, `maxResponseMessageBytes`, `retryPolicy` and
   * `hedgingPolicy`, and `retryThrottling` (gRFC A6). Load balancing does not apply (one URL).
   * Invalid: `createGrpcWebTransport` throws a ServiceConfigError.
   */
  readonly serviceConfig?: string | object;
  /** false: no call is retried or hedged, whatever the service config says. Default true. */
  readonly retries?: boolean;
  /** A policy's `maxAttempts` above this is treated as this (default 5, A6). */
  readonly maxRetryAttempts?: number;
  /** Request bytes one call keeps for its retries (default 1 MiB); past it, the call commits. */
  readonly retryBufferBytes?: number;
  /** Request bytes all of the transport's calls keep for retries (default 16 MiB). */
  readonly channelRetryBufferBytes?: number;
}

/** In the browser the service config's load-balancing choice is read and checked, but not used. */
const anyPolicy = (name: string): PolicyConfigParser => ({ name, parseConfig: (json) => json });

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
 * - Retries and hedging (gRFC A6) from `serviceConfig`, by the same call machine as the channel's.
 * - An `AbortSignal` aborts the fetch (CANCELLED, or the signal's reason when it is an `RpcError`);
 *   the server sees the connection or stream close.
 * - Request metadata become headers; response headers and the trailer frame become metadata;
 *   a status other than OK is thrown as `RpcError` with its details and trailers.
 */
export function createGrpcWebTransport(options: GrpcWebTransportOptions): Transport {
  const codecName = options.codec ?? "proto";
  const attemptConfig: GrpcWebAttemptConfig = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    text: options.format === "text",
    codecName,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    maxReceiveMessageBytes: options.maxReceiveMessageBytes,
    maxSendMessageBytes: options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY,
    userAgent: `grpc-ts-web/${VERSION}`,
    credentials: options.credentials,
  };

  const config = parseServiceConfig(options.serviceConfig ?? {}, anyPolicy);
  const methodConfigOf: MethodConfigLookup = createMethodConfigIndex(config);
  const throttling = config.retryThrottling;
  const retryContext: RetryContext = {
    throttle:
      throttling === undefined ? undefined : new RetryThrottle(throttling.maxTokens, throttling.tokenRatio),
    buffer: new RetryBuffer(options.retryBufferBytes, options.channelRetryBufferBytes),
    schedule: realSchedule,
    random: Math.random,
  };
  const retriesOn = options.retries !== false;
  const maxRetryAttempts = options.maxRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  const plans = new WeakMap<MethodConfig, CallPlan>();

  function makePlan(c: GrpcWebAttemptConfig, mc: MethodConfig | undefined): CallPlan {
    return {
      start: (call, index) => new GrpcWebAttempt(call, index, c, codecOf(call)).start(),
      frame: (call, message) => frameWebRequest(c, codecOf(call), message),
      retry: mc === undefined || !retriesOn ? undefined : retryPlanOf(mc, retryContext, maxRetryAttempts),
      timeoutMs: mc?.timeoutMs,
    };
  }
  const defaultPlan = makePlan(attemptConfig, undefined);

  function planFor(mc: MethodConfig | undefined): CallPlan {
    if (mc === undefined) return defaultPlan;
    let plan = plans.get(mc);
    if (plan === undefined) {
      const max = attemptConfig.maxReceiveMessageBytes;
      plan = makePlan(
        {
          ...attemptConfig,
          maxReceiveMessageBytes:
            mc.maxResponseMessageBytes === undefined
              ? max
              : Math.min(max ?? Number.POSITIVE_INFINITY, mc.maxResponseMessageBytes),
          maxSendMessageBytes: Math.min(
            attemptConfig.maxSendMessageBytes,
            mc.maxRequestMessageBytes ?? Number.POSITIVE_INFINITY,
          ),
        },
        mc,
      );
      plans.set(mc, plan);
    }
    return plan;
  }

  function codecOf(call: Call): MethodCodec<unknown, unknown> {
    return methodCodec(call.request.method, codecName);
  }

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
    try {
      methodCodec(method, codecName);
    } catch (e) {
      return Promise.reject(RpcError.from(e));
    }
    return new Call(req).begin(planFor(methodConfigOf(method.path)));
  }

  return { call };
}
