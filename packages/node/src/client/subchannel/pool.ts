/**
 * The channel's subchannels, shared by address: every policy that asks for the same address
 * (pick_first children of round_robin, the old and the new policy during a switch) gets its own
 * handle on one subchannel, so a connection survives a resolver update or a policy change. Each
 * handle is one reference; when the last is dropped the subchannel closes its connection.
 */

import type { ConnectAddress } from "../../http2/client-socket.js";
import type { ClientConnection } from "../../http2/seam.js";
import type { BackoffOptions } from "../backoff.js";
import type { Subchannel, SubchannelState } from "../balancer/balancer.js";
import type { Clock } from "../clock.js";
import { addressName, type Connector, createSubchannel, type SharedSubchannel } from "./subchannel.js";

export interface SubchannelPoolOptions {
  readonly connector: Connector;
  readonly clock: Clock;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  /** See SubchannelOptions.onTooManyPings. */
  readonly onTooManyPings?: (subchannel: SharedSubchannel) => void;
  /** Makes the shared subchannels (createSubchannel by default; tests pass fakes). */
  readonly create?: (address: ConnectAddress) => SharedSubchannel;
}

export interface SubchannelPool {
  /** A new handle (one reference) on the subchannel for `address`: what `Helper.createSubchannel` returns. */
  acquire(address: ConnectAddress): SubchannelHandle;
  /** The shared subchannel for an address name, for the channel (health, connection). */
  get(name: string): SharedSubchannel | undefined;
  /** The connection a picked subchannel's call starts on, when it is one of this pool's handles and READY. */
  connectionOf(subchannel: Subchannel): ClientConnection | undefined;
  /** How many subchannels are alive. */
  readonly size: number;
  /** Closes every subchannel (the channel is closing); handles then see nothing more. */
  close(): void;
}

/** A policy's reference on a shared subchannel. */
export interface SubchannelHandle extends Subchannel {
  readonly shared: SharedSubchannel;
  /** The READY connection (see SharedSubchannel.connection); undefined once unref'd. */
  readonly connection: ClientConnection | undefined;
}

interface PoolEntry {
  readonly subchannel: SharedSubchannel;
  refs: number;
}

export function createSubchannelPool(options: SubchannelPoolOptions): SubchannelPool {
  const entries = new Map<string, PoolEntry>();
  const handles = new WeakSet<Subchannel>();
  const create =
    options.create ??
    ((address: ConnectAddress) =>
      createSubchannel({
        address,
        connector: options.connector,
        clock: options.clock,
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.random === undefined ? {} : { random: options.random }),
        ...(options.onTooManyPings === undefined ? {} : { onTooManyPings: options.onTooManyPings }),
      }));

  function release(name: string, entry: PoolEntry): void {
    entry.refs -= 1;
    if (entry.refs > 0 || entries.get(name) !== entry) return;
    entries.delete(name);
    entry.subchannel.close();
  }

  return {
    acquire(address) {
      const name = addressName(address);
      let entry = entries.get(name);
      if (entry === undefined) {
        entry = { subchannel: create(address), refs: 0 };
        entries.set(name, entry);
      }
      entry.refs += 1;
      const handle = new Handle(entry.subchannel, release.bind(undefined, name, entry));
      handles.add(handle);
      return handle;
    },
    get: (name) => entries.get(name)?.subchannel,
    connectionOf: (subchannel) => (handles.has(subchannel) ? (subchannel as Handle).connection : undefined),
    get size() {
      return entries.size;
    },
    close() {
      const all = [...entries.values()];
      entries.clear();
      for (const e of all) e.subchannel.close();
    },
  };
}

class Handle implements SubchannelHandle {
  readonly shared: SharedSubchannel;
  readonly #release: () => void;
  readonly #stops = new Set<() => void>();
  #released = false;

  constructor(shared: SharedSubchannel, release: () => void) {
    this.shared = shared;
    this.#release = release;
  }

  get address(): ConnectAddress {
    return this.shared.address;
  }

  get name(): string {
    return this.shared.name;
  }

  get state(): SubchannelState {
    return this.shared.state;
  }

  get connection(): ClientConnection | undefined {
    return this.#released ? undefined : this.shared.connection;
  }

  connect(): void {
    if (!this.#released) this.shared.connect();
  }

  watch(listener: (state: SubchannelState) => void): () => void {
    if (this.#released) return () => {};
    const stopShared = this.shared.watch(listener);
    const stop = () => {
      this.#stops.delete(stop);
      stopShared();
    };
    this.#stops.add(stop);
    return stop;
  }

  unref(): void {
    if (this.#released) return;
    this.#released = true;
    for (const stop of [...this.#stops]) stop();
    this.#release();
  }
}
