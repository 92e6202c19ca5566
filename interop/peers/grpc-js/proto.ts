/**
 * The interop protos for the grpc-js peer, loaded the way grpc-js applications load them: with
 * @grpc/proto-loader from Debian's grpc-proto (/usr/share/grpc-proto, or $GRPC_PROTO_DIR), so
 * that nothing of grpc-ts (neither its runtime nor protobuf-es) is on this side of the wire.
 *
 * proto-loader's definitions are untyped (`object`); this module is the small typed wrapper:
 * interfaces for the messages as proto-loader produces them (camelCase fields, bytes as Buffer,
 * absent message fields as null with `defaults: true`) and typed method definitions.
 */
import type * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export interface Payload {
  readonly type?: number;
  readonly body?: Buffer | Uint8Array;
}
export interface BoolValue {
  readonly value?: boolean;
}
export interface EchoStatus {
  readonly code?: number;
  readonly message?: string;
}
export interface ResponseParameters {
  readonly size?: number;
  readonly intervalUs?: number;
  readonly compressed?: BoolValue | null;
}
export type Empty = Record<string, never>;
export interface SimpleRequest {
  readonly responseType?: number;
  readonly responseSize?: number;
  readonly payload?: Payload | null;
  readonly responseCompressed?: BoolValue | null;
  readonly responseStatus?: EchoStatus | null;
  readonly expectCompressed?: BoolValue | null;
}
export interface SimpleResponse {
  readonly payload?: Payload | null;
}
export interface StreamingInputCallRequest {
  readonly payload?: Payload | null;
  readonly expectCompressed?: BoolValue | null;
}
export interface StreamingInputCallResponse {
  readonly aggregatedPayloadSize?: number;
}
export interface StreamingOutputCallRequest {
  readonly responseType?: number;
  readonly responseParameters?: readonly ResponseParameters[];
  readonly payload?: Payload | null;
  readonly responseStatus?: EchoStatus | null;
}
export interface StreamingOutputCallResponse {
  readonly payload?: Payload | null;
}

export type Method<Req, Res> = grpc.MethodDefinition<Req, Res>;

export interface TestServiceMethods {
  readonly EmptyCall: Method<Empty, Empty>;
  readonly UnaryCall: Method<SimpleRequest, SimpleResponse>;
  readonly CacheableUnaryCall: Method<SimpleRequest, SimpleResponse>;
  readonly StreamingInputCall: Method<StreamingInputCallRequest, StreamingInputCallResponse>;
  readonly StreamingOutputCall: Method<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  readonly FullDuplexCall: Method<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  readonly HalfDuplexCall: Method<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  readonly UnimplementedCall: Method<Empty, Empty>;
}

export interface InteropProtos {
  /** The service definition as proto-loader made it (for `server.addService`). */
  readonly testServiceDefinition: protoLoader.ServiceDefinition;
  readonly testService: TestServiceMethods;
  readonly unimplementedCall: Method<Empty, Empty>;
}

function isServiceDefinition(d: protoLoader.AnyDefinition | undefined): d is protoLoader.ServiceDefinition {
  return d !== undefined && !("format" in d);
}

function service(pkg: protoLoader.PackageDefinition, name: string): protoLoader.ServiceDefinition {
  const d = pkg[name];
  if (!isServiceDefinition(d)) throw new Error(`${name} is not a service in the loaded protos`);
  return d;
}

/**
 * One method with its message types. proto-loader's (de)serializers work on plain objects; the
 * interfaces above describe those objects, which is what this assertion states.
 */
function method<Req, Res>(svc: protoLoader.ServiceDefinition, name: string): Method<Req, Res> {
  const m = svc[name];
  if (m === undefined) throw new Error(`method ${name} not found`);
  return {
    path: m.path,
    requestStream: m.requestStream,
    responseStream: m.responseStream,
    requestSerialize: (value: Req) => m.requestSerialize(value as object),
    requestDeserialize: (bytes: Buffer) => m.requestDeserialize(bytes) as Req,
    responseSerialize: (value: Res) => m.responseSerialize(value as object),
    responseDeserialize: (bytes: Buffer) => m.responseDeserialize(bytes) as Res,
  };
}

export function loadInteropProtos(): InteropProtos {
  const protoRoot = process.env.GRPC_PROTO_DIR ?? "/usr/share/grpc-proto";
  const pkg = protoLoader.loadSync("grpc/testing/test.proto", {
    includeDirs: [protoRoot],
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const test = service(pkg, "grpc.testing.TestService");
  const unimplemented = service(pkg, "grpc.testing.UnimplementedService");
  return {
    testServiceDefinition: test,
    testService: {
      EmptyCall: method(test, "EmptyCall"),
      UnaryCall: method(test, "UnaryCall"),
      CacheableUnaryCall: method(test, "CacheableUnaryCall"),
      StreamingInputCall: method(test, "StreamingInputCall"),
      StreamingOutputCall: method(test, "StreamingOutputCall"),
      FullDuplexCall: method(test, "FullDuplexCall"),
      HalfDuplexCall: method(test, "HalfDuplexCall"),
      UnimplementedCall: method(test, "UnimplementedCall"),
    },
    unimplementedCall: method(unimplemented, "UnimplementedCall"),
  };
}
