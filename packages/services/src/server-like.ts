import type { ServiceDefinition, ServiceImpl, ServiceLike } from "@grpc-ts/core";

/**
 * What `addHealth` and `addReflection` need from a server. The `Server` of `@grpc-ts/node` has all
 * of it; any other server with these members works too.
 */
export interface ServerLike {
  /** Adds a service implementation (as `server.add(Service, impl)`). */
  add<S extends ServiceLike>(service: S, impl: ServiceImpl<S>): unknown;
  /** The services added so far; reflection describes those that carry a protobuf descriptor. */
  readonly router?: { services(): readonly ServiceDefinition[] };
  /** Runs `listener` when the server begins to shut down; health uses it to report NOT_SERVING. */
  onShutdown?(listener: () => void): unknown;
}
