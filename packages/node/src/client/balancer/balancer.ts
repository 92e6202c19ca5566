/**
 * Load balancing (load-balancing.md, and the grpc-go/grpc-js shape): a policy gets resolver
 * updates and a helper to make subchannels with, and gives the channel a picker. The channel asks
 * the picker, synchronously, where each call goes. Policies are chosen by name from the service
 * config's `loadBalancingConfig`; their registry is an argument of the channel.
 */
import type { Metadata, RpcError } from "@grpc-ts/core";
import type { ConnectAddress, Endpoint } from "../resolver/resolver.js";

/** A channel's or a subchannel's connectivity state (connectivity-semantics-and-api.md). */
export type ConnectivityState = "IDLE" | "CONNECTING" | "READY" | "TRANSIENT_FAILURE" | "SHUTDOWN";

/** A subchannel's state; a failure says why. */
export type SubchannelState =
  | { readonly kind: "IDLE" | "CONNECTING" | "READY" }
  | { readonly kind: "TRANSIENT_FAILURE"; readonly error: RpcError };

/**
 * One connection to one address, as a policy sees it. The channel shares one subchannel among
 * the policies that name the same address; each `createSubchannel` must be matched by `unref`.
 */
export interface Subchannel {
  readonly address: ConnectAddress;
  /** The address as text, `1.2.3.4:5`, `[::1]:5` or `unix:/path`: for logs and error messages. */
  readonly name: string;
  readonly state: SubchannelState;
  /** Asks an IDLE subchannel to connect (no-op in any other state). */
  connect(): void;
  /** Calls `listener` on every state change from now on; returns a function that stops it. */
  watch(listener: (state: SubchannelState) => void): () => void;
  /** The policy is done with it (the channel closes it when no policy uses it). */
  unref(): void;
}

/** What a pick is for: the method and the call's request metadata. */
export interface PickInfo {
  readonly path: string;
  readonly metadata: Metadata;
}

/**
 * Where a call goes: a READY subchannel; `queue` until the next picker; `fail` (the call fails
 * unless it waits for ready); `drop` (the call fails even if it waits for ready).
 */
export type PickResult =
  | { readonly kind: "pick"; readonly subchannel: Subchannel }
  | { readonly kind: "queue" }
  | { readonly kind: "fail"; readonly error: RpcError }
  | { readonly kind: "drop"; readonly error: RpcError };

/** Synchronous and, on the hot path, allocation-free (return results made in advance). */
export interface Picker {
  pick(info: PickInfo): PickResult;
}

/** What a policy may do to the channel. */
export interface Helper {
  createSubchannel(address: ConnectAddress): Subchannel;
  /** The policy's aggregate state and the picker for calls from now on. */
  updateState(state: ConnectivityState, picker: Picker): void;
  /** Ask the resolver to resolve again (after a connection failed, say). */
  requestReresolution(): void;
}

export interface LoadBalancer {
  /** New endpoints (and this policy's parsed config); an empty list is the policy's to judge. */
  update(endpoints: readonly Endpoint[], config: unknown): void;
  /** The resolver failed; a policy with no endpoints yet fails its picks with this. */
  resolverError(error: RpcError): void;
  /** The channel left IDLE (a call came): an idle policy starts connecting. */
  exitIdle(): void;
  close(): void;
}

/** Makes one policy; `name` is its name in `loadBalancingConfig` (`pick_first`, `round_robin`). */
export interface LoadBalancerFactory {
  readonly name: string;
  /** Validates this policy's config object from the service config; throws a TypeError naming what is wrong. */
  parseConfig(json: unknown): unknown;
  create(helper: Helper): LoadBalancer;
}
