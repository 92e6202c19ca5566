// The Bench service for @grpc/grpc-js, loaded at run time by @grpc/proto-loader from
// bench/proto/bench.proto, as a grpc-js user would. grpc-js clients and services built this way
// are untyped; the types below describe what proto-loader produces with the options used here.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath } from "../lib/paths.js";

/** `Payload` as proto-loader decodes it (bytes become a Buffer; `defaults` fills missing fields). */
export interface PayloadMessage {
  body: Uint8Array;
}
export interface StreamRequestMessage {
  count: number;
  size: number;
}
/** int64 fields as numbers (`longs: Number`). */
export interface StreamSummaryMessage {
  messages: number;
  bytes: number;
}

/** The methods of a dynamic grpc-js client of Bench, typed. */
export interface BenchGrpcClient {
  unary(
    request: PayloadMessage,
    callback: (error: grpc.ServiceError | null, response?: PayloadMessage) => void,
  ): grpc.ClientUnaryCall;
  serverStream(request: StreamRequestMessage): grpc.ClientReadableStream<PayloadMessage>;
  clientStream(
    callback: (error: grpc.ServiceError | null, response?: StreamSummaryMessage) => void,
  ): grpc.ClientWritableStream<PayloadMessage>;
  bidi(): grpc.ClientDuplexStream<PayloadMessage, PayloadMessage>;
  close(): void;
}

/** Handlers of Bench, typed per call kind. */
export interface BenchGrpcHandlers {
  unary: grpc.handleUnaryCall<PayloadMessage, PayloadMessage>;
  serverStream: grpc.handleServerStreamingCall<StreamRequestMessage, PayloadMessage>;
  clientStream: grpc.handleClientStreamingCall<PayloadMessage, StreamSummaryMessage>;
  bidi: grpc.handleBidiStreamingCall<PayloadMessage, PayloadMessage>;
}

const loaderOptions: protoLoader.Options = { keepCase: false, longs: Number, defaults: true };

/** The service constructor of grpcts.bench.Bench. */
export function loadBench(): grpc.ServiceClientConstructor {
  const root = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, loaderOptions));
  const pkg = (root.grpcts as grpc.GrpcObject).bench as grpc.GrpcObject;
  return pkg.Bench as grpc.ServiceClientConstructor;
}

/** A typed client of Bench at `address` (plaintext). */
export function createBenchClient(address: string, options: grpc.ClientOptions = {}): BenchGrpcClient {
  const Ctor = loadBench();
  const client = new Ctor(address, grpc.credentials.createInsecure(), options);
  const method = <F>(name: string): F => {
    const fn = client[name];
    if (typeof fn !== "function") throw new Error(`grpc-js client has no method ${name}`);
    return fn.bind(client) as F;
  };
  return {
    unary: method<BenchGrpcClient["unary"]>("unary"),
    serverStream: method<BenchGrpcClient["serverStream"]>("serverStream"),
    clientStream: method<BenchGrpcClient["clientStream"]>("clientStream"),
    bidi: method<BenchGrpcClient["bidi"]>("bidi"),
    close: () => client.close(),
  };
}
