/**
 * Fakes for policy tests: a Helper that records what the policy reports, and fake subchannels
 * (one "backend" per address, shared by handles with reference counts, as the pool shares them)
 * whose state the test sets. No network, no timers. Test support; it belongs in @grpc-ts/testing
 * once that package exists.
 */
import { Code, Metadata, RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import type {
  ConnectivityState,
  Helper,
  Picker,
  PickInfo,
  PickResult,
  Subchannel,
  SubchannelState,
} from "../balancer/balancer.js";
import { addressName } from "../subchannel/subchannel.js";
import { Watchers } from "../subchannel/watchers.js";

/** The state of one address, shared by every handle on it. */
export class FakeBackend {
  readonly address: ConnectAddress;
  readonly name: string;
  state: SubchannelState = { kind: "IDLE" };
  /** connect() calls made while IDLE (each one an attempt). */
  connects = 0;
  refs = 0;
  readonly #watchers = new Watchers<SubchannelState>();

  constructor(address: ConnectAddress) {
    this.address = address;
    this.name = addressName(address);
  }

  connect(): void {
    if (this.state.kind !== "IDLE") return;
    this.connects += 1;
    this.set({ kind: "CONNECTING" });
  }

  ready(): void {
    this.set({ kind: "READY" });
  }

  idle(): void {
    this.set({ kind: "IDLE" });
  }

  fail(reason = "connection refused"): void {
    this.set({ kind: "TRANSIENT_FAILURE", error: new RpcError(Code.UNAVAILABLE, `${this.name}: ${reason}`) });
  }

  watch(listener: (s: SubchannelState) => void): () => void {
    return this.#watchers.add(listener);
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /** Sets the state and tells the watchers, in order, as the real subchannel does. */
  set(state: SubchannelState): void {
    this.state = state;
    this.#watchers.publish(state);
  }
}

const INFO: PickInfo = { path: "/test.Service/Method", metadata: new Metadata() };

export class FakeHelper implements Helper {
  readonly backends = new Map<string, FakeBackend>();
  /** Every updateState, in order. */
  readonly updates: { state: ConnectivityState; picker: Picker }[] = [];
  reresolutions = 0;
  /** Names passed to createSubchannel, in order. */
  readonly created: string[] = [];

  createSubchannel(address: ConnectAddress): Subchannel {
    const backend = this.backend(address);
    backend.refs += 1;
    this.created.push(backend.name);
    let released = false;
    const stops = new Set<() => void>();
    return {
      address,
      name: backend.name,
      get state() {
        return backend.state;
      },
      connect: () => {
        if (!released) backend.connect();
      },
      watch: (listener) => {
        if (released) return () => {};
        const stop = backend.watch(listener);
        stops.add(stop);
        return () => {
          stops.delete(stop);
          stop();
        };
      },
      unref: () => {
        if (released) return;
        released = true;
        for (const stop of stops) stop();
        backend.refs -= 1;
      },
    };
  }

  updateState(state: ConnectivityState, picker: Picker): void {
    this.updates.push({ state, picker });
  }

  requestReresolution(): void {
    this.reresolutions += 1;
  }

  /** The backend for an address (made on first use, so a test can set its state in advance). */
  backend(address: ConnectAddress | string): FakeBackend {
    const name = typeof address === "string" ? address : addressName(address);
    let b = this.backends.get(name);
    if (b === undefined) {
      if (typeof address === "string") throw new Error(`no backend ${address}`);
      b = new FakeBackend(address);
      this.backends.set(name, b);
    }
    return b;
  }

  get state(): ConnectivityState | undefined {
    return this.updates[this.updates.length - 1]?.state;
  }

  get states(): ConnectivityState[] {
    return this.updates.map((u) => u.state);
  }

  /** A pick on the latest picker. */
  pick(): PickResult {
    const last = this.updates[this.updates.length - 1];
    if (last === undefined) throw new Error("no picker yet");
    return last.picker.pick(INFO);
  }

  /** The name of the subchannel the latest picker picks, or the result's kind. */
  picked(): string {
    const r = this.pick();
    return r.kind === "pick" ? r.subchannel.name : r.kind;
  }
}

/** An IPv4 or IPv6 address on port 1 (`"10.0.0.1"`, `"::1"`). */
export function ip(host: string, port = 1): ConnectAddress {
  return { host, port };
}
