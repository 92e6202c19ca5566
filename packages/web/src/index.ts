// The gRPC-Web client, and the core API an application needs with it (createClient, RpcError, ...).
export * from "@grpc-ts/core";
export { createGrpcWebTransport, type GrpcWebTransportOptions } from "./transport.js";
export { VERSION } from "./version.js";
