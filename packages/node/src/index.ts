// @grpc-ts/node: gRPC servers and channels on Node.js, with the core's API re-exported by name,
// so that an application needs only this package.
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
  type Compression,
  codeName,
  createClient,
  createWritableIterable,
  defineService,
  type ErrorDetail,
  type ErrorDetailInput,
  findDetails,
  type HandlerContext,
  type MessageSendOptions,
  Metadata,
  type MetadataInit,
  type MetadataValue,
  type MethodDefinition,
  type MethodHandler,
  type MethodKind,
  RpcError,
  type RpcErrorOptions,
  type Serializer,
  type ServerInterceptor,
  type ServerNext,
  type ServerRequest,
  type ServerResponse,
  type ServiceDefinition,
  type ServiceImpl,
  type ServiceLike,
  type TlsInfo,
  type Transport,
  type WritableIterable,
  wasCompressed,
  withSendOptions,
} from "@grpc-ts/core";
export type { CorsOptions } from "@grpc-ts/core/grpc-web";
export { ServiceConfigError } from "@grpc-ts/core/protocol";
export type { BackoffOptions } from "./client/backoff.js";
export type {
  Helper,
  LoadBalancer,
  LoadBalancerFactory,
  Picker,
  PickInfo,
  PickResult,
  Subchannel,
  SubchannelState,
} from "./client/balancer/balancer.js";
export {
  type Channel,
  type ChannelKeepaliveOptions,
  type ChannelOptions,
  type ConnectivityState,
  createChannel,
} from "./client/channel.js";
export type { Clock, TimerHandle } from "./client/clock.js";
export type {
  Endpoint,
  ParsedTarget,
  Resolver,
  ResolverFactory,
  ResolverListener,
  ResolverOptions,
  ResolverResult,
} from "./client/resolver/resolver.js";
export { defaultCompressions, deflate, gzip } from "./compression.js";
export type { ServerKeepaliveOptions } from "./http2/connection-policy.js";
export type { EngineName, FlowControlWindow } from "./http2/engine.js";
export type { ClientTlsOptions, ConnectAddress } from "./http2/node-client.js";
export type { ServerTlsOptions } from "./http2/node-server.js";
export {
  createRouterTransport,
  type RouterTransportOptions,
  type RouterTransportServices,
} from "./memory/router-transport.js";
export {
  createServer,
  type ListenOptions,
  type Server,
  type ServerOptions,
  type ShutdownOptions,
} from "./server/server.js";
export { VERSION } from "./version.js";
