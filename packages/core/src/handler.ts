import type { HandlerContext } from "./handler-context.js";
import type { MethodTypes, ServiceLike, ServiceMethods } from "./method.js";

type Req<M> = MethodTypes<M>["req"];
type ResInit<M> = MethodTypes<M>["resInit"];

/** The handler a service implementation provides for one RPC, by call kind. */
export type MethodHandler<M> = MethodTypes<M>["kind"] extends "unary"
  ? (request: Req<M>, ctx: HandlerContext) => Promise<ResInit<M>> | ResInit<M>
  : MethodTypes<M>["kind"] extends "server_streaming"
    ? (request: Req<M>, ctx: HandlerContext) => AsyncIterable<ResInit<M>>
    : MethodTypes<M>["kind"] extends "client_streaming"
      ? (requests: AsyncIterable<Req<M>>, ctx: HandlerContext) => Promise<ResInit<M>> | ResInit<M>
      : (requests: AsyncIterable<Req<M>>, ctx: HandlerContext) => AsyncIterable<ResInit<M>>;

/**
 * A service implementation: handlers keyed by the methods' camelCase names. Methods left out
 * answer UNIMPLEMENTED.
 */
export type ServiceImpl<S extends ServiceLike> = {
  readonly [K in keyof ServiceMethods<S>]?: MethodHandler<ServiceMethods<S>[K]>;
};
