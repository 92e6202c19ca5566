import { Code } from "./code.js";
import type { ServiceImpl } from "./handler.js";
import type { HandlerContext } from "./handler-context.js";
import {
  applyInterceptors,
  type ServerInterceptor,
  type ServerNext,
  type ServerResponse,
} from "./interceptor.js";
import { type AnyMethod, type ServiceDefinition, type ServiceLike, toServiceDefinition } from "./method.js";
import { RpcError } from "./rpc-error.js";

/**
 * A method with its handler, ready to be called with the decoded request (one message, or an
 * AsyncIterable for client and bidi streaming). The result is one response message or an
 * AsyncIterable of them. With no interceptors, no request or response objects are made.
 */
export interface Route {
  readonly method: AnyMethod;
  invoke(message: unknown, ctx: HandlerContext): Promise<unknown> | unknown;
}

type AnyHandler = (message: unknown, ctx: HandlerContext) => unknown;

/** Maps `/pkg.Service/Method` paths to routes. */
export class Router {
  readonly #routes = new Map<string, Route>();
  readonly #services = new Map<string, ServiceDefinition>();

  /** Adds a service; its handlers are wrapped in `interceptors` (the first outermost). */
  add<S extends ServiceLike>(
    service: S,
    impl: ServiceImpl<S>,
    interceptors: readonly ServerInterceptor[] = [],
  ): void {
    const def = toServiceDefinition(service);
    if (this.#services.has(def.typeName)) throw new Error(`service ${def.typeName} was already added`);
    this.#services.set(def.typeName, def);
    const handlers = impl as Readonly<Record<string, AnyHandler | undefined>>;
    for (const [local, method] of Object.entries(def.methods)) {
      const fn = handlers[local];
      if (fn === undefined) continue;
      if (typeof fn !== "function") throw new TypeError(`handler for ${method.path} is not a function`);
      const handler = fn.bind(impl) as AnyHandler;
      this.#routes.set(method.path, createRoute(method, handler, interceptors));
    }
  }

  /** The route for a `:path`, or undefined. */
  get(path: string): Route | undefined {
    return this.#routes.get(path);
  }

  /** Whether a service of that name was added (to tell an unknown method from an unknown service). */
  hasService(typeName: string): boolean {
    return this.#services.has(typeName);
  }

  /** The services added, in order. */
  services(): ServiceDefinition[] {
    return [...this.#services.values()];
  }
}

function createRoute(
  method: AnyMethod,
  handler: AnyHandler,
  interceptors: readonly ServerInterceptor[],
): Route {
  if (interceptors.length === 0) return { method, invoke: handler };
  const inner: ServerNext = async (req) => {
    const out = await handler(req.message, req.ctx);
    return method.responseStream
      ? { stream: true, message: out as AsyncIterable<unknown> }
      : { stream: false, message: out };
  };
  const chain = applyInterceptors<ServerNext>(inner, interceptors);
  return {
    method,
    invoke: (message, ctx) =>
      chain(
        method.requestStream
          ? { method, ctx, stream: true, message: message as AsyncIterable<unknown> }
          : { method, ctx, stream: false, message },
      ).then((res: ServerResponse) => {
        if (res.stream !== method.responseStream) {
          throw new RpcError(
            Code.INTERNAL,
            `an interceptor returned the wrong response kind for ${method.path}`,
          );
        }
        return res.message;
      }),
  };
}
