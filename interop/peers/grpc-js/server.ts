/**
 * grpc.testing.TestService on @grpc/grpc-js (the interop peer):
 * `node --import tsx interop/peers/grpc-js/server.ts --port=N [--use_tls=true] [--certs_dir=D]`.
 * Prints `LISTENING <port>`; `--port=0` picks a free port; stops on SIGTERM/SIGINT.
 *
 * What grpc-js cannot do (see the matrix's expected gaps): its server never compresses responses
 * (CompressedResponse), and a handler cannot tell whether a request message was compressed
 * (CompressedRequest). `expect_compressed` and `response_compressed` are therefore ignored.
 */
import * as grpc from "@grpc/grpc-js";
import { Flags } from "../../src/args.js";
import { defaultCertsDir, ensureCerts } from "../../src/certs.js";
import {
  BULK_FILL_KEY,
  BULK_FILL_VALUE,
  bulkBody,
  ECHO_INITIAL_KEY,
  ECHO_TRAILING_KEY,
} from "../../src/constants.js";
import {
  type EchoStatus,
  type Empty,
  loadInteropProtos,
  type ResponseParameters,
  type SimpleRequest,
  type SimpleResponse,
  type StreamingInputCallRequest,
  type StreamingInputCallResponse,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponse,
} from "./proto.js";

type AnyCall = { readonly metadata: grpc.Metadata; sendMetadata(md: grpc.Metadata): void };

/** Echo Metadata: sends the initial key back at once; returns the trailers to end the call with. */
function echoMetadata(call: AnyCall): grpc.Metadata {
  const initial = call.metadata.get(ECHO_INITIAL_KEY);
  if (initial.length > 0) {
    const md = new grpc.Metadata();
    for (const v of initial) md.add(ECHO_INITIAL_KEY, v);
    call.sendMetadata(md);
  }
  const trailer = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_TRAILING_KEY)) trailer.add(ECHO_TRAILING_KEY, v);
  return trailer;
}

function statusError(
  status: EchoStatus | null | undefined,
  trailer: grpc.Metadata,
): grpc.ServiceError | undefined {
  if (status === null || status === undefined || (status.code ?? 0) === 0) return undefined;
  const message = status.message ?? "";
  return Object.assign(new Error(message), { code: status.code ?? 2, details: message, metadata: trailer });
}

function zeros(size: number | undefined): Buffer {
  return Buffer.alloc(size ?? 0);
}

function sleepUs(us: number | undefined): Promise<void> {
  return us !== undefined && us > 0 ? new Promise((r) => setTimeout(r, us / 1000)) : Promise.resolve();
}

class ResponseWriter {
  readonly #bulk: boolean;
  #index = 0;
  constructor(call: AnyCall) {
    this.#bulk = call.metadata.get(BULK_FILL_KEY)[0] === BULK_FILL_VALUE;
  }
  async next(p: ResponseParameters): Promise<StreamingOutputCallResponse> {
    await sleepUs(p.intervalUs);
    const index = this.#index++;
    return { payload: { body: this.#bulk ? bulkBody(index, p.size ?? 0) : zeros(p.size) } };
  }
}

/** Writes with backpressure; false when the call went away. */
function write(
  call:
    | grpc.ServerWritableStream<unknown, StreamingOutputCallResponse>
    | grpc.ServerDuplexStream<unknown, StreamingOutputCallResponse>,
  message: StreamingOutputCallResponse,
): Promise<boolean> {
  if (call.cancelled || call.destroyed) return Promise.resolve(false);
  if (call.write(message)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      call.off("drain", onDrain);
      call.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    call.on("drain", onDrain);
    call.on("close", onClose);
  });
}

const emptyCall: grpc.handleUnaryCall<Empty, Empty> = (call, callback) => {
  const trailer = echoMetadata(call);
  callback(null, {}, trailer);
};

const unaryCall: grpc.handleUnaryCall<SimpleRequest, SimpleResponse> = (call, callback) => {
  const trailer = echoMetadata(call);
  const error = statusError(call.request.responseStatus, trailer);
  if (error !== undefined) {
    callback(error);
    return;
  }
  callback(null, { payload: { body: zeros(call.request.responseSize) } }, trailer);
};

const cacheableUnaryCall: grpc.handleUnaryCall<SimpleRequest, SimpleResponse> = (call, callback) => {
  const trailer = echoMetadata(call);
  callback(null, { payload: { body: Buffer.from(process.hrtime.bigint().toString()) } }, trailer);
};

const streamingInputCall: grpc.handleClientStreamingCall<
  StreamingInputCallRequest,
  StreamingInputCallResponse
> = (call, callback) => {
  const trailer = echoMetadata(call);
  let aggregatedPayloadSize = 0;
  call.on("data", (request: StreamingInputCallRequest) => {
    aggregatedPayloadSize += request.payload?.body?.length ?? 0;
  });
  call.on("end", () => callback(null, { aggregatedPayloadSize }, trailer));
  call.on("error", () => {});
};

const streamingOutputCall: grpc.handleServerStreamingCall<
  StreamingOutputCallRequest,
  StreamingOutputCallResponse
> = (call) => {
  const trailer = echoMetadata(call);
  void (async () => {
    const error = statusError(call.request.responseStatus, trailer);
    if (error !== undefined) {
      call.emit("error", error);
      return;
    }
    const writer = new ResponseWriter(call);
    for (const p of call.request.responseParameters ?? []) {
      if (!(await write(call, await writer.next(p)))) return;
    }
    call.end(trailer);
  })();
};

/** FullDuplexCall (respond as requests come) and HalfDuplexCall (respond after the half-close). */
function duplex(
  half: boolean,
): grpc.handleBidiStreamingCall<StreamingOutputCallRequest, StreamingOutputCallResponse> {
  return (call) => {
    const trailer = echoMetadata(call);
    const writer = new ResponseWriter(call);
    void (async () => {
      try {
        const held: StreamingOutputCallRequest[] = [];
        // destroyOnReturn: false, or the loop's end would destroy the stream before the status is sent.
        for await (const item of call.iterator({ destroyOnReturn: false })) {
          const request = item as StreamingOutputCallRequest;
          const error = statusError(request.responseStatus, trailer);
          if (error !== undefined) {
            call.emit("error", error);
            return;
          }
          if (half) {
            held.push(request);
            continue;
          }
          for (const p of request.responseParameters ?? []) {
            if (!(await write(call, await writer.next(p)))) return;
          }
        }
        for (const request of held)
          for (const p of request.responseParameters ?? []) {
            if (!(await write(call, await writer.next(p)))) return;
          }
        call.end(trailer);
      } catch {
        // The client cancelled or the deadline passed: grpc-js has already ended the call.
      }
    })();
  };
}

async function main(): Promise<void> {
  const flags = new Flags(process.argv.slice(2), ["port", "use_tls", "host", "certs_dir"]);
  const port = flags.port("port");
  const host = flags.string("host", "127.0.0.1");
  let creds = grpc.ServerCredentials.createInsecure();
  if (flags.bool("use_tls", false)) {
    const c = await ensureCerts(flags.string("certs_dir", defaultCertsDir));
    creds = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(c.key), cert_chain: Buffer.from(c.cert) },
    ]);
  }
  const { testServiceDefinition } = loadInteropProtos();
  const server = new grpc.Server();
  // UnimplementedCall is left out on purpose: grpc-js answers it UNIMPLEMENTED.
  server.addService(testServiceDefinition, {
    EmptyCall: emptyCall,
    UnaryCall: unaryCall,
    CacheableUnaryCall: cacheableUnaryCall,
    StreamingInputCall: streamingInputCall,
    StreamingOutputCall: streamingOutputCall,
    FullDuplexCall: duplex(false),
    HalfDuplexCall: duplex(true),
  });
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, creds, (error, p) => (error ? reject(error) : resolve(p))),
  );
  console.log(`LISTENING ${bound}`);
  console.error(`interop server (grpc-js): ${address.replace(/:\d+$/, `:${bound}`)}`);
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(`interop server (grpc-js): ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
