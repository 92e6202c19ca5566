/**
 * Name resolution (naming.md): a resolver turns a channel's target into endpoints (each a list of
 * addresses) and, optionally, a service config. It pushes results to its listener whenever they
 * change, and resolves again when asked (`resolveNow`, which the balancer requests after a
 * connection fails); a resolver may rate-limit those requests.
 */
import type { RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type { Clock } from "../clock.js";

export type { ConnectAddress };

/** One backend: the addresses it can be reached at (an IPv4 and an IPv6 address, for instance). */
export interface Endpoint {
  readonly addresses: readonly ConnectAddress[];
  /** What the resolver knows of it, for balancers that read it (weights, locality, ...). */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface ResolverResult {
  readonly endpoints: readonly Endpoint[];
  /**
   * The service config the name carries, as a JSON document (text or a parsed value) that the
   * channel validates; undefined when the name carries none.
   */
  readonly serviceConfig?: unknown;
  /** The resolver found a service config it could not read (a malformed TXT record, say). */
  readonly serviceConfigError?: RpcError;
  /** A short note for error messages, e.g. "resolved by 127.0.0.1:5353". */
  readonly note?: string;
}

export interface ResolverListener {
  onResult(result: ResolverResult): void;
  /** The name could not be resolved (UNAVAILABLE, with why); a later result may follow. */
  onError(error: RpcError): void;
}

export interface Resolver {
  /** Starts resolving; results and errors go to `listener` (never synchronously inside `start`). */
  start(listener: ResolverListener): void;
  /** Resolve again soon (the resolver may wait out its minimum interval first). */
  resolveNow(): void;
  close(): void;
}

/** A target as naming.md parses it: `scheme:[//authority/]endpoint`. */
export interface ParsedTarget {
  readonly scheme: string;
  /** The URI authority (`dns://127.0.0.1:5353/name` → `127.0.0.1:5353`), or "". */
  readonly authority: string;
  /** What the scheme resolves (`name:port`, an address list, a socket path, ...). */
  readonly endpoint: string;
  /** The target as given. */
  readonly text: string;
}

export interface ResolverOptions {
  readonly clock: Clock;
  /** DNS: at most one resolution per this many ms (default 30 000). */
  readonly dnsMinResolutionIntervalMs: number;
  /** DNS: resolve again every this many ms even when not asked (default: only when asked). */
  readonly dnsPeriodicResolutionMs: number | undefined;
  /** DNS: read the service config from the name's TXT record (`grpc_config=`); default false. */
  readonly dnsServiceConfig: boolean;
}

/** Makes resolvers for one scheme. A channel's registry is an argument, never global state. */
export interface ResolverFactory {
  readonly scheme: string;
  /** Checks the target (throws a TypeError naming what is wrong) and makes its resolver. */
  create(target: ParsedTarget, options: ResolverOptions): Resolver;
  /** The `:authority` of the channel's requests for this target (default: the endpoint). */
  defaultAuthority(target: ParsedTarget): string;
}
