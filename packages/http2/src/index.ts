// The root: what a user of the engine writes code with (the two connections, their options,
// listeners and handles, and the errors). Frames and HPACK are behind `@grpc-ts/http2/frame`
// and `@grpc-ts/http2/hpack`.
export { ByteWriter } from "./byte-writer.js";
export {
  ClientConnection,
  type ClientConnectionListener,
  type ClientConnectionOptions,
  type ClientStreamHandle,
} from "./connection/client-connection.js";
export {
  ConnectionLifetime,
  type ConnectionLifetimeOptions,
  jitteredAge,
  type LifetimeHost,
} from "./connection/connection-lifetime.js";
export type { ConnectionListenerBase, ConnectionOptionsBase } from "./connection/connection-options.js";
export { Keepalive, type KeepaliveHost, type KeepaliveOptions, type Timers } from "./connection/keepalive.js";
export {
  IDLE_PING_INTERVAL_MS,
  MAX_PING_STRIKES,
  type PingPolicy,
  PingStrikes,
  TOO_MANY_PINGS,
} from "./connection/ping-strikes.js";
export {
  ServerConnection,
  type ServerConnectionListener,
  type ServerConnectionOptions,
} from "./connection/server-connection.js";
export { ErrorCode, errorCodeName, Http2Error } from "./errors.js";
