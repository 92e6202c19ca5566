/**
 * `grpcts.test.Echo` on the official Node implementation, `@grpc/grpc-js`, for the
 * cross-implementation tests: a small typed client over `grpc.Client`, and a server with the same
 * behaviour as `echo-impl.ts`. The service comes from `echo.proto` through `@grpc/proto-loader`
 * with `keepCase: false` (camelCase fields, as protobuf-es), `longs: String` and `defaults: true`.
 */
import type { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import type { ServerSurfaceCall } from "@grpc/grpc-js/build/src/server-call.js";
import * as protoLoader from "@grpc/proto-loader";
import { collect } from "../async.js";

/** What every grpc-js server call has (the package index does not re-export the type). */
export type JsServerCall = ServerSurfaceCall;

export const ECHO_PROTO_PATH = fileURLToPath(new URL("../proto/echo.proto", import.meta.url));

/** A request as proto-loader decodes it (every field present, int64 as a decimal string). */
export interface JsEchoRequest {
  message: string;
  payload: Buffer;
  count: number;
  failCode: number;
  failMessage: string;
  delayMs: number;
  id: string;
}

export interface JsEchoResponse {
  message: string;
  payload: Buffer;
  index: number;
  id: string;
  received: number;
}

export type JsEchoRequestInit = Partial<JsEchoRequest>;
export type JsEchoResponseInit = Partial<JsEchoResponse>;

export type JsEchoMethodName = "Unary" | "ServerStream" | "ClientStream" | "Bidi";

function loadEchoService(): Record<
  JsEchoMethodName,
  grpc.MethodDefinition<JsEchoRequestInit, JsEchoResponse>
> {
  const pkg = protoLoader.loadSync(ECHO_PROTO_PATH, { keepCase: false, longs: String, defaults: true });
  const def: unknown = pkg["grpcts.test.Echo"];
  if (typeof def !== "object" || def === null || !("Unary" in def) || !("Bidi" in def)) {
    throw new Error(`grpcts.test.Echo is missing from ${ECHO_PROTO_PATH}`);
  }
  return def as Record<JsEchoMethodName, grpc.MethodDefinition<JsEchoRequestInit, JsEchoResponse>>;
}

/** The service definition, for `grpc.Server.addService` and for paths and serializers. */
export const jsEcho = loadEchoService();

/** Resolves with the first emission of `event` (and only that: an `error` does not reject it). */
export function nextEvent<T>(emitter: EventEmitter, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (value: T) => resolve(value)));
}

/** A typed Echo client on grpc-js. */
export class JsEchoClient {
  readonly raw: grpc.Client;

  constructor(
    target: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ClientOptions = {},
  ) {
    this.raw = new grpc.Client(target, credentials, options);
  }

  unary(
    req: JsEchoRequestInit,
    metadata: grpc.Metadata = new grpc.Metadata(),
    options: grpc.CallOptions = {},
  ): { call: grpc.ClientUnaryCall; response: Promise<JsEchoResponse> } {
    const m = jsEcho.Unary;
    let call: grpc.ClientUnaryCall | undefined;
    const response = new Promise<JsEchoResponse>((resolve, reject) => {
      call = this.raw.makeUnaryRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        req,
        metadata,
        options,
        (err, res) => (err !== null || res === undefined ? reject(err) : resolve(res)),
      );
    });
    return { call: call!, response };
  }

  serverStream(
    req: JsEchoRequestInit,
    metadata: grpc.Metadata = new grpc.Metadata(),
    options: grpc.CallOptions = {},
  ): grpc.ClientReadableStream<JsEchoResponse> {
    const m = jsEcho.ServerStream;
    return this.raw.makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      req,
      metadata,
      options,
    );
  }

  clientStream(
    metadata: grpc.Metadata = new grpc.Metadata(),
    options: grpc.CallOptions = {},
  ): { call: grpc.ClientWritableStream<JsEchoRequestInit>; response: Promise<JsEchoResponse> } {
    const m = jsEcho.ClientStream;
    let call: grpc.ClientWritableStream<JsEchoRequestInit> | undefined;
    const response = new Promise<JsEchoResponse>((resolve, reject) => {
      call = this.raw.makeClientStreamRequest(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        metadata,
        options,
        (err, res) => (err !== null || res === undefined ? reject(err) : resolve(res)),
      );
    });
    return { call: call!, response };
  }

  bidi(
    metadata: grpc.Metadata = new grpc.Metadata(),
    options: grpc.CallOptions = {},
  ): grpc.ClientDuplexStream<JsEchoRequestInit, JsEchoResponse> {
    const m = jsEcho.Bidi;
    return this.raw.makeBidiStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      metadata,
      options,
    );
  }

  close(): void {
    this.raw.close();
  }
}

/** Reads a grpc-js response stream to its end; rejects with the call's error. */
export async function readAll<T>(stream: AsyncIterable<unknown>): Promise<T[]> {
  return (await collect(stream)) as T[];
}

/** True for a grpc-js `ServiceError` (code, details, metadata). */
export function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === "number" && "metadata" in e;
}

export interface JsEchoHooks {
  /** Called when a handler starts (it may `sendMetadata` here). */
  onCall?: (method: JsEchoMethodName, call: JsServerCall) => void;
  /** Trailers sent with an OK status. */
  trailer?: () => grpc.Metadata;
  /** Metadata sent with the errors that `fail_code` asks for (e.g. `grpc-status-details-bin`). */
  errorMetadata?: () => grpc.Metadata;
}

export interface JsEchoServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** Ends every call and connection. */
  close(): void;
}

/** Waits `ms`; false when the call was cancelled first (then nothing should be sent). */
function wait(ms: number, call: JsServerCall): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!call.cancelled);
  return new Promise((resolve) => {
    const onCancel = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      call.off("cancelled", onCancel);
      resolve(!call.cancelled);
    }, ms);
    call.once("cancelled", onCancel);
  });
}

/** Starts the Echo service on grpc-js at 127.0.0.1 on a free port. */
export async function startJsEchoServer(
  hooks: JsEchoHooks = {},
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  options: grpc.ServerOptions = {},
): Promise<JsEchoServer> {
  const failure = (req: JsEchoRequest): grpc.ServerErrorResponse | undefined => {
    if (req.failCode === 0) return undefined;
    const err: grpc.ServerErrorResponse = Object.assign(new Error(req.failMessage), {
      code: req.failCode,
      details: req.failMessage,
      metadata: hooks.errorMetadata?.() ?? new grpc.Metadata(),
    });
    return err;
  };
  const trailer = (): grpc.Metadata => hooks.trailer?.() ?? new grpc.Metadata();

  const unary: grpc.handleUnaryCall<JsEchoRequest, JsEchoResponseInit> = (call, callback) => {
    hooks.onCall?.("Unary", call);
    const req = call.request;
    void wait(req.delayMs, call).then((go) => {
      if (!go) return;
      const err = failure(req);
      if (err !== undefined) callback(err);
      else callback(null, { message: req.message, payload: req.payload, id: req.id }, trailer());
    });
  };

  const serverStream: grpc.handleServerStreamingCall<JsEchoRequest, JsEchoResponseInit> = (call) => {
    hooks.onCall?.("ServerStream", call);
    const req = call.request;
    void wait(req.delayMs, call).then((go) => {
      if (!go) return;
      const err = failure(req);
      if (err !== undefined) {
        call.emit("error", err);
        return;
      }
      for (let i = 0; i < req.count; i++) call.write({ message: req.message, index: i, id: req.id });
      call.end(trailer());
    });
  };

  const clientStream: grpc.handleClientStreamingCall<JsEchoRequest, JsEchoResponseInit> = (
    call,
    callback,
  ) => {
    hooks.onCall?.("ClientStream", call);
    const messages: string[] = [];
    let failed = false;
    call.on("data", (req: JsEchoRequest) => {
      const err = failure(req);
      if (err !== undefined && !failed) {
        failed = true;
        callback(err);
      }
      messages.push(req.message);
    });
    call.on("end", () => {
      if (!failed) callback(null, { message: messages.join(","), received: messages.length }, trailer());
    });
  };

  const bidi: grpc.handleBidiStreamingCall<JsEchoRequest, JsEchoResponseInit> = (call) => {
    hooks.onCall?.("Bidi", call);
    let i = 0;
    let failed = false;
    call.on("data", (req: JsEchoRequest) => {
      if (failed) return;
      const err = failure(req);
      if (err !== undefined) {
        failed = true;
        call.emit("error", err);
        return;
      }
      call.write({ message: req.message, payload: req.payload, index: i++, id: req.id });
    });
    call.on("end", () => {
      if (!failed) call.end(trailer());
    });
  };

  const server = new grpc.Server(options);
  const impl: grpc.UntypedServiceImplementation = {
    Unary: unary,
    ServerStream: serverStream,
    ClientStream: clientStream,
    Bidi: bidi,
  };
  server.addService(jsEcho, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err === null ? resolve(p) : reject(err))),
  );
  return { server, port, close: () => server.forceShutdown() };
}
