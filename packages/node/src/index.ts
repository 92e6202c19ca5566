// The core API, so that an application needs only this package.
export * from "@grpc-ts/core";
export type { BackoffOptions } from "./channel/backoff.js";
export {
  type Channel,
  type ChannelOptions,
  type ConnectivityState,
  createChannel,
} from "./channel/channel.js";
export { parseTarget, type Target } from "./channel/target.js";
export { defaultCompressions, deflate, gzip } from "./compression.js";
export { DEFAULT_ENGINE, type EngineName, type FlowControlWindow } from "./http2/engine.js";
export type { ClientTlsOptions } from "./http2/node-client.js";
export type { ServerTlsOptions } from "./http2/node-server.js";
export { createServer, type ListenOptions, type Server, type ServerOptions } from "./server/server.js";
export { VERSION } from "./version.js";
