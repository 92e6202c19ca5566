// @grpc-ts/web: the gRPC-Web client, with the core's client API re-exported by name, so that a
// browser application needs only this package.
export {
  type CallOptions,
  type Client,
  type ClientInterceptor,
  type ClientMethod,
  type ClientNext,
  type ClientOptions,
  type ClientRequest,
  type ClientResponse,
  Code,
  type CodeName,
  codeName,
  createClient,
  createWritableIterable,
  defineService,
  type ErrorDetail,
  findDetails,
  Metadata,
  type MetadataInit,
  type MetadataValue,
  type MethodDefinition,
  type MethodKind,
  RpcError,
  type Serializer,
  type ServiceDefinition,
  type ServiceLike,
  type Transport,
  type WritableIterable,
} from "@grpc-ts/core";
export { createGrpcWebTransport, type GrpcWebTransportOptions } from "./transport.js";
export { VERSION } from "./version.js";
