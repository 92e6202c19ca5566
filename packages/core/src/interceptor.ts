import type { HandlerContext } from "./handler-context.js";
import type { Metadata } from "./metadata.js";
import type { AnyMethod } from "./method.js";

/**
 * Client calls and server handlers pass through interceptors of one shape:
 * `next => async (req) => { ...; const res = await next(req); ...; return res; }`.
 * `stream` tells whether `message` is one message or an AsyncIterable of them.
 */
interface ClientRequestBase {
  readonly method: AnyMethod;
  /** Request metadata; interceptors may change it before calling `next`. */
  readonly header: Metadata;
  readonly signal: AbortSignal | undefined;
  /** Absolute deadline in ms since the epoch. */
  readonly deadline: number | undefined;
  readonly compression: string | undefined;
  /** Wait for the channel to be ready; undefined: as the channel's method config says (default false). */
  readonly waitForReady: boolean | undefined;
  /** false: no retries or hedging for this call, whatever the service config says (gRFC A6). */
  readonly retries?: boolean | undefined;
}

export type ClientRequest =
  | (ClientRequestBase & { readonly stream: false; readonly message: unknown })
  | (ClientRequestBase & { readonly stream: true; readonly message: AsyncIterable<unknown> });

interface ClientResponseBase {
  readonly method: AnyMethod;
  readonly header: Metadata;
  /** Complete once the response is complete (for streams: after the last message). */
  readonly trailer: Metadata;
}

export type ClientResponse =
  | (ClientResponseBase & { readonly stream: false; readonly message: unknown })
  | (ClientResponseBase & { readonly stream: true; readonly message: AsyncIterable<unknown> });

export type ClientNext = (req: ClientRequest) => Promise<ClientResponse>;
export type ClientInterceptor = (next: ClientNext) => ClientNext;

interface ServerRequestBase {
  readonly method: AnyMethod;
  /** The call's context: request metadata, deadline, signal, response headers and trailers. */
  readonly ctx: HandlerContext;
}

export type ServerRequest =
  | (ServerRequestBase & { readonly stream: false; readonly message: unknown })
  | (ServerRequestBase & { readonly stream: true; readonly message: AsyncIterable<unknown> });

export type ServerResponse =
  | { readonly stream: false; readonly message: unknown }
  | { readonly stream: true; readonly message: AsyncIterable<unknown> };

export type ServerNext = (req: ServerRequest) => Promise<ServerResponse>;
export type ServerInterceptor = (next: ServerNext) => ServerNext;

/** Applies interceptors so that the first in the list is the outermost. */
export function applyInterceptors<N>(next: N, interceptors: readonly ((n: N) => N)[]): N {
  let out = next;
  for (let i = interceptors.length - 1; i >= 0; i--) out = interceptors[i]!(out);
  return out;
}
