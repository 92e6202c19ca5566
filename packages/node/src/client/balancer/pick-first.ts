/**
 * `pick_first` (load-balancing.md, gRFC A62, and the pick_first part of gRFC A61): one connection,
 * to the first address that answers.
 *
 * On an update it shuffles the endpoints when `shuffleAddressList` asks, flattens their addresses,
 * interleaves the address families (the first address's family first, RFC 8305 section 4), and
 * connects with Happy Eyeballs: each attempt starts the connection attempt delay (250 ms) after the
 * one before it, or at once when that one fails; running attempts are never cancelled by a later
 * start, and the first subchannel to be READY wins (the others are unref'd).
 *
 * When every address has failed once it reports TRANSIENT_FAILURE and stays there (sticky, A62)
 * while it keeps connecting each subchannel as it comes out of backoff, until one is READY. When the
 * READY connection is lost it goes IDLE and connects again when the channel asks (exitIdle, or a pick).
 *
 * Re-resolution is requested when every address has failed (and then again after as many further
 * failures as there are addresses), when the READY connection is lost, and when the resolver gives
 * no addresses.
 */
import { Code, RpcError } from "@grpc-ts/core";
import type { ConnectAddress } from "../../http2/client-socket.js";
import { type Clock, realClock, type TimerHandle } from "../clock.js";
import type { Endpoint } from "../resolver/resolver.js";
import { addressName } from "../subchannel/subchannel.js";
import type {
  ConnectivityState,
  Helper,
  LoadBalancer,
  LoadBalancerFactory,
  Picker,
  Subchannel,
  SubchannelState,
} from "./balancer.js";
import { failPicker, fixedPicker, idlePicker, QUEUE_PICKER } from "./pickers.js";

export interface PickFirstConfig {
  /** Shuffle the endpoints (not the addresses within one) before connecting (A62). */
  readonly shuffleAddressList: boolean;
}

export interface PickFirstOptions {
  /** For the Happy Eyeballs timer (the real clock by default). */
  readonly clock?: Clock;
  /** For `shuffleAddressList` (Math.random by default). */
  readonly random?: () => number;
  /** The connection attempt delay; A61 bounds it to 100..2000 ms (default 250). */
  readonly connectionAttemptDelayMs?: number;
}

export const PICK_FIRST = "pick_first";

/** Validates pick_first's `loadBalancingConfig` entry: `{ "shuffleAddressList"?: boolean }`, other fields ignored. */
export function parsePickFirstConfig(json: unknown): PickFirstConfig {
  if (json === undefined) return { shuffleAddressList: false };
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new TypeError("pick_first: the config must be an object");
  const shuffle = (json as { shuffleAddressList?: unknown }).shuffleAddressList;
  if (shuffle !== undefined && typeof shuffle !== "boolean")
    throw new TypeError('pick_first: "shuffleAddressList" must be a boolean');
  return { shuffleAddressList: shuffle === true };
}

export function createPickFirstFactory(options: PickFirstOptions = {}): LoadBalancerFactory {
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const delay = Math.min(2000, Math.max(100, options.connectionAttemptDelayMs ?? 250));
  return {
    name: PICK_FIRST,
    parseConfig: parsePickFirstConfig,
    create: (helper) => new PickFirst(helper, clock, random, delay),
  };
}

/** The endpoints' addresses in connection order: shuffled endpoints (when asked), flattened, families interleaved. */
export function orderAddresses(
  endpoints: readonly Endpoint[],
  shuffle: boolean,
  random: () => number,
): ConnectAddress[] {
  const order = [...endpoints];
  if (shuffle)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(random() * (i + 1)));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  return interleaveFamilies(order.flatMap((e) => e.addresses));
}

/** RFC 8305 section 4: alternate the address families, starting with the first address's. */
export function interleaveFamilies(addresses: readonly ConnectAddress[]): ConnectAddress[] {
  const families = new Map<string, ConnectAddress[]>();
  for (const a of addresses) {
    const f = "path" in a ? "unix" : a.host.includes(":") ? "ipv6" : "ipv4";
    const list = families.get(f);
    if (list === undefined) families.set(f, [a]);
    else list.push(a);
  }
  const lists = [...families.values()];
  const out: ConnectAddress[] = [];
  for (let i = 0; out.length < addresses.length; i++)
    for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

/** One address being tried. */
interface Entry {
  readonly subchannel: Subchannel;
  stop: () => void;
  /** The latest state the watcher delivered. */
  state: SubchannelState;
  /** An attempt has failed in this pass (or it was in backoff when its turn came). */
  failed: boolean;
  error: RpcError | undefined;
  released: boolean;
}

/** The policy's state: what it is doing, with what it owns in that state. */
type Mode =
  /** No update yet, or the last one had no addresses (or the resolver failed first). */
  | { readonly kind: "NO_ADDRESSES" }
  /** Trying the addresses: the first pass (Happy Eyeballs), then all of them as they leave backoff. */
  | {
      readonly kind: "CONNECTING";
      readonly entries: readonly Entry[];
      /** The next entry the first pass starts. */
      next: number;
      timer: TimerHandle | undefined;
      /** Inside `connect()` of an entry: its events are handled when it returns. */
      starting: boolean;
      passDone: boolean;
      failuresSinceReresolution: number;
    }
  | { readonly kind: "READY"; readonly entry: Entry }
  /** The READY connection was lost: connect again on exitIdle. */
  | { readonly kind: "IDLE" }
  | { readonly kind: "CLOSED" };

class PickFirst implements LoadBalancer {
  readonly #helper: Helper;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #delayMs: number;
  #mode: Mode = { kind: "NO_ADDRESSES" };
  #addresses: readonly ConnectAddress[] = [];
  #reported: ConnectivityState = "IDLE";

  constructor(helper: Helper, clock: Clock, random: () => number, delayMs: number) {
    this.#helper = helper;
    this.#clock = clock;
    this.#random = random;
    this.#delayMs = delayMs;
  }

  update(endpoints: readonly Endpoint[], config: unknown): void {
    const mode = this.#mode;
    if (mode.kind === "CLOSED") return;
    const shuffle =
      typeof config === "object" &&
      config !== null &&
      (config as { shuffleAddressList?: unknown }).shuffleAddressList === true;
    const addresses = orderAddresses(endpoints, shuffle, this.#random);
    this.#addresses = addresses;
    if (addresses.length === 0) {
      this.#releaseAll();
      this.#mode = { kind: "NO_ADDRESSES" };
      this.#report(
        "TRANSIENT_FAILURE",
        failPicker(new RpcError(Code.UNAVAILABLE, "the name resolver returned no addresses")),
      );
      this.#helper.requestReresolution();
      return;
    }
    if (mode.kind === "IDLE") return;
    if (mode.kind === "READY") {
      const name = mode.entry.subchannel.name;
      if (addresses.some((a) => addressName(a) === name)) return;
    }
    this.#startPass();
  }

  resolverError(error: RpcError): void {
    if (this.#mode.kind !== "NO_ADDRESSES") return;
    this.#report("TRANSIENT_FAILURE", failPicker(error));
  }

  exitIdle(): void {
    if (this.#mode.kind === "IDLE" && this.#addresses.length > 0) this.#startPass();
  }

  close(): void {
    this.#releaseAll();
    this.#mode = { kind: "CLOSED" };
  }

  /** Subchannels for the current addresses (made before the old ones are dropped, so shared ones live on). */
  #startPass(): void {
    const old = this.#mode;
    const seen = new Set<string>();
    const entries: Entry[] = [];
    for (const address of this.#addresses) {
      const name = addressName(address);
      if (seen.has(name)) continue;
      seen.add(name);
      const subchannel = this.#helper.createSubchannel(address);
      const entry: Entry = {
        subchannel,
        stop: () => {},
        state: subchannel.state,
        failed: false,
        error: undefined,
        released: false,
      };
      entries.push(entry);
    }
    const mode: Mode = {
      kind: "CONNECTING",
      entries,
      next: 0,
      timer: undefined,
      starting: false,
      passDone: false,
      failuresSinceReresolution: 0,
    };
    this.#release(old);
    this.#mode = mode;
    for (const e of entries) e.stop = e.subchannel.watch((s) => this.#onState(e, s));
    // Sticky TRANSIENT_FAILURE: new addresses do not make a policy whose connections fail CONNECTING
    // (a failure for want of addresses, or of the resolver, is not sticky).
    if (old.kind !== "CONNECTING" || this.#reported !== "TRANSIENT_FAILURE")
      this.#report("CONNECTING", QUEUE_PICKER);
    const ready = entries.find((e) => e.state.kind === "READY");
    if (ready !== undefined) this.#select(mode, ready);
    else this.#startNext(mode);
  }

  /** Happy Eyeballs: start the next entry's attempt, and the timer for the one after it. */
  #startNext(mode: Mode & { kind: "CONNECTING" }): void {
    mode.timer?.cancel();
    mode.timer = undefined;
    while (mode.next < mode.entries.length) {
      const e = mode.entries[mode.next++]!;
      if (e.state.kind === "IDLE") {
        mode.starting = true;
        try {
          e.subchannel.connect();
        } finally {
          mode.starting = false;
        }
        if (this.#mode !== mode) return;
      }
      const s = e.state;
      if (s.kind === "READY") {
        this.#select(mode, e);
        return;
      }
      if (s.kind === "TRANSIENT_FAILURE") {
        // In backoff from an earlier attempt (or it failed at once): count it failed, go on.
        e.failed = true;
        e.error = s.error;
        continue;
      }
      if (mode.next < mode.entries.length) {
        mode.timer = this.#clock.setTimeout(() => {
          mode.timer = undefined;
          if (this.#mode === mode) this.#startNext(mode);
        }, this.#delayMs);
        // The attempts' sockets keep the process alive, not this timer.
        mode.timer.unref();
      }
      return;
    }
    this.#checkPassDone(mode);
  }

  #onState(e: Entry, s: SubchannelState): void {
    if (e.released) return;
    e.state = s;
    const mode = this.#mode;
    if (mode.kind === "READY") {
      if (mode.entry === e) this.#onSelectedState(e, s);
      return;
    }
    if (mode.kind !== "CONNECTING" || mode.starting) return;
    switch (s.kind) {
      case "READY":
        this.#select(mode, e);
        return;
      case "TRANSIENT_FAILURE":
        e.failed = true;
        e.error = s.error;
        if (mode.passDone) {
          mode.failuresSinceReresolution += 1;
          if (mode.failuresSinceReresolution >= mode.entries.length) {
            mode.failuresSinceReresolution = 0;
            this.#helper.requestReresolution();
          }
          this.#report("TRANSIENT_FAILURE", failPicker(this.#allFailedError(mode)));
        } else if (mode.entries[mode.next - 1] === e && mode.timer !== undefined) {
          // The latest attempt failed before its delay was over: start the next one now.
          this.#startNext(mode);
        } else this.#checkPassDone(mode);
        return;
      case "IDLE":
        // Out of backoff: after the first pass every subchannel keeps trying.
        if (mode.passDone) e.subchannel.connect();
        return;
      case "CONNECTING":
        return;
    }
  }

  #checkPassDone(mode: Mode & { kind: "CONNECTING" }): void {
    if (mode.passDone || mode.next < mode.entries.length || !mode.entries.every((e) => e.failed)) return;
    mode.passDone = true;
    this.#report("TRANSIENT_FAILURE", failPicker(this.#allFailedError(mode)));
    this.#helper.requestReresolution();
    for (const e of mode.entries) {
      if (this.#mode !== mode) return;
      if (e.state.kind === "IDLE") e.subchannel.connect();
    }
  }

  #allFailedError(mode: Mode & { kind: "CONNECTING" }): RpcError {
    const why = mode.entries.map((e) => e.error?.rawMessage ?? `${e.subchannel.name}: not tried yet`);
    const n = why.length;
    return new RpcError(
      Code.UNAVAILABLE,
      n === 1
        ? `failed to connect to ${why[0]}`
        : `failed to connect to all ${n} addresses: ${why.join("; ")}`,
    );
  }

  #select(mode: Mode & { kind: "CONNECTING" }, entry: Entry): void {
    mode.timer?.cancel();
    mode.timer = undefined;
    for (const e of mode.entries) if (e !== entry) this.#unref(e);
    this.#mode = { kind: "READY", entry };
    this.#report("READY", fixedPicker({ kind: "pick", subchannel: entry.subchannel }));
  }

  /** The chosen subchannel changed: unhealthy (TRANSIENT_FAILURE), healthy again, or its connection is gone. */
  #onSelectedState(e: Entry, s: SubchannelState): void {
    switch (s.kind) {
      case "READY":
        this.#report("READY", fixedPicker({ kind: "pick", subchannel: e.subchannel }));
        return;
      case "TRANSIENT_FAILURE":
        this.#report("TRANSIENT_FAILURE", failPicker(s.error));
        return;
      default:
        this.#unref(e);
        this.#mode = { kind: "IDLE" };
        this.#helper.requestReresolution();
        this.#report(
          "IDLE",
          idlePicker(() => this.exitIdle()),
        );
    }
  }

  #report(state: ConnectivityState, picker: Picker): void {
    this.#reported = state;
    this.#helper.updateState(state, picker);
  }

  #unref(e: Entry): void {
    if (e.released) return;
    e.released = true;
    e.stop();
    e.subchannel.unref();
  }

  #release(mode: Mode): void {
    if (mode.kind === "CONNECTING") {
      mode.timer?.cancel();
      mode.timer = undefined;
      for (const e of mode.entries) this.#unref(e);
    } else if (mode.kind === "READY") this.#unref(mode.entry);
  }

  #releaseAll(): void {
    this.#release(this.#mode);
  }
}
