/**
 * `round_robin` (load-balancing.md; a "petiole" policy of gRFC A61): one pick_first child per
 * endpoint, which does the connecting (Happy Eyeballs over the endpoint's addresses, backoff,
 * sticky failure), and calls spread in turn over the children that are READY.
 *
 * The aggregate state is READY over CONNECTING over IDLE over TRANSIENT_FAILURE. A child that
 * reported TRANSIENT_FAILURE counts as failed until it is READY again (sticky), so a child that
 * is retrying does not make the whole policy CONNECTING again. A child that goes IDLE (its
 * connection was lost) is asked to connect again at once. When every child has failed, picks fail
 * with an error that lists each endpoint's.
 *
 * Re-resolution: the children's requests are passed up; a pick_first child asks exactly when it
 * reports TRANSIENT_FAILURE (all its addresses failed, and again while they keep failing) and when
 * its READY connection is lost. An update with no endpoints asks too.
 *
 * Children are keyed by their endpoint's first address: an update keeps the children whose key is
 * still there (passing them their endpoint's new addresses) and closes the others.
 */
import { Code, Metadata, RpcError } from "@grpc-ts/core";
import { type Clock, realClock } from "../clock.js";
import type { Endpoint } from "../resolver/resolver.js";
import { addressName } from "../subchannel/subchannel.js";
import type {
  ConnectivityState,
  Helper,
  LoadBalancer,
  LoadBalancerFactory,
  Picker,
  PickInfo,
  PickResult,
} from "./balancer.js";
import { createPickFirstFactory, type PickFirstConfig } from "./pick-first.js";
import { failPicker, idlePicker, QUEUE_PICKER } from "./pickers.js";

export const ROUND_ROBIN = "round_robin";

export interface RoundRobinOptions {
  /** For the children's Happy Eyeballs timers (the real clock by default). */
  readonly clock?: Clock;
  /** Chooses the first READY child of each new picker (Math.random by default). */
  readonly random?: () => number;
  /** The children's connection attempt delay (see PickFirstOptions). */
  readonly connectionAttemptDelayMs?: number;
}

/** round_robin has no settings: its config must be an object, whose fields are ignored. */
export function parseRoundRobinConfig(json: unknown): Readonly<Record<string, never>> {
  if (json !== undefined && (typeof json !== "object" || json === null || Array.isArray(json)))
    throw new TypeError("round_robin: the config must be an object");
  return {};
}

export function createRoundRobinFactory(options: RoundRobinOptions = {}): LoadBalancerFactory {
  const random = options.random ?? Math.random;
  const pickFirst = createPickFirstFactory({
    clock: options.clock ?? realClock,
    ...(options.connectionAttemptDelayMs === undefined
      ? {}
      : { connectionAttemptDelayMs: options.connectionAttemptDelayMs }),
  });
  return {
    name: ROUND_ROBIN,
    parseConfig: parseRoundRobinConfig,
    create: (helper) => new RoundRobin(helper, pickFirst, random),
  };
}

const CHILD_CONFIG: PickFirstConfig = { shuffleAddressList: false };
/** For reading a failing child picker's error (a pick_first failure picker ignores what it is given). */
const ERROR_PROBE: PickInfo = { path: "", metadata: new Metadata() };

/** Each pick goes to the next READY child's picker; no allocation per pick. */
class RotatingPicker implements Picker {
  readonly pickers: readonly Picker[];
  #next: number;

  constructor(pickers: readonly Picker[], start: number) {
    this.pickers = pickers;
    this.#next = start;
  }

  pick(info: PickInfo): PickResult {
    const picker = this.pickers[this.#next]!;
    this.#next = this.#next + 1 === this.pickers.length ? 0 : this.#next + 1;
    return picker.pick(info);
  }
}

interface Child {
  readonly key: string;
  readonly lb: LoadBalancer;
  state: ConnectivityState;
  picker: Picker;
  /** Reported TRANSIENT_FAILURE since it was last READY. */
  failed: boolean;
  /** Its latest failure, for the aggregate error. */
  error: RpcError | undefined;
  closed: boolean;
}

class RoundRobin implements LoadBalancer {
  readonly #helper: Helper;
  readonly #pickFirst: LoadBalancerFactory;
  readonly #random: () => number;
  #children = new Map<string, Child>();
  /** Inside update() or a child's IDLE handling: aggregate once at the end. */
  #batching = false;
  #closed = false;
  #reported: ConnectivityState | undefined;
  #readyPickers: readonly Picker[] = [];

  constructor(helper: Helper, pickFirst: LoadBalancerFactory, random: () => number) {
    this.#helper = helper;
    this.#pickFirst = pickFirst;
    this.#random = random;
  }

  update(endpoints: readonly Endpoint[], _config: unknown): void {
    if (this.#closed) return;
    const old = this.#children;
    const next = new Map<string, Child>();
    this.#batching = true;
    try {
      for (const endpoint of endpoints) {
        const first = endpoint.addresses[0];
        if (first === undefined) continue;
        const key = addressName(first);
        if (next.has(key)) continue;
        const child = old.get(key) ?? this.#createChild(key);
        next.set(key, child);
        child.lb.update([endpoint], CHILD_CONFIG);
      }
      this.#children = next;
      for (const [key, child] of old)
        if (!next.has(key)) {
          child.closed = true;
          child.lb.close();
        }
    } finally {
      this.#batching = false;
    }
    if (next.size === 0) {
      this.#report(
        "TRANSIENT_FAILURE",
        failPicker(new RpcError(Code.UNAVAILABLE, "the name resolver returned no addresses")),
      );
      this.#helper.requestReresolution();
      return;
    }
    this.#aggregate();
  }

  resolverError(error: RpcError): void {
    if (this.#closed || this.#children.size > 0) return;
    this.#report("TRANSIENT_FAILURE", failPicker(error));
  }

  exitIdle(): void {
    for (const child of [...this.#children.values()]) if (child.state === "IDLE") child.lb.exitIdle();
  }

  close(): void {
    this.#closed = true;
    for (const child of this.#children.values()) {
      child.closed = true;
      child.lb.close();
    }
    this.#children = new Map();
  }

  #createChild(key: string): Child {
    const parent = this.#helper;
    let child: Child | undefined;
    const lb = this.#pickFirst.create({
      createSubchannel: (address) => parent.createSubchannel(address),
      updateState: (state, picker) => {
        if (child !== undefined) this.#onChildState(child, state, picker);
      },
      requestReresolution: () => {
        if (child !== undefined && !child.closed) parent.requestReresolution();
      },
    });
    child = { key, lb, state: "IDLE", picker: QUEUE_PICKER, failed: false, error: undefined, closed: false };
    return child;
  }

  #onChildState(child: Child, state: ConnectivityState, picker: Picker): void {
    if (child.closed || this.#closed) return;
    child.state = state;
    child.picker = picker;
    if (state === "READY") child.failed = false;
    else if (state === "TRANSIENT_FAILURE") {
      child.failed = true;
      const r = picker.pick(ERROR_PROBE);
      child.error =
        r.kind === "fail" || r.kind === "drop"
          ? r.error
          : new RpcError(Code.UNAVAILABLE, `${child.key}: transient failure`);
    }
    if (state === "IDLE" && !this.#batching) {
      // Lost its connection: reconnect at once (round_robin keeps every endpoint connected).
      this.#batching = true;
      try {
        child.lb.exitIdle();
      } finally {
        this.#batching = false;
      }
    }
    if (!this.#batching) this.#aggregate();
  }

  #aggregate(): void {
    const ready: Picker[] = [];
    let connecting = false;
    let idle = false;
    for (const child of this.#children.values()) {
      if (child.state === "READY") ready.push(child.picker);
      else if (child.failed) continue;
      else if (child.state === "CONNECTING") connecting = true;
      else if (child.state === "IDLE") idle = true;
    }
    if (ready.length > 0) {
      const same =
        this.#reported === "READY" &&
        ready.length === this.#readyPickers.length &&
        ready.every((p, i) => p === this.#readyPickers[i]);
      if (same) return;
      this.#readyPickers = ready;
      this.#report(
        "READY",
        new RotatingPicker(ready, Math.floor(this.#random() * ready.length) % ready.length),
      );
    } else if (connecting) {
      if (this.#reported !== "CONNECTING") this.#report("CONNECTING", QUEUE_PICKER);
    } else if (idle) {
      if (this.#reported !== "IDLE")
        this.#report(
          "IDLE",
          idlePicker(() => this.exitIdle()),
        );
    } else this.#report("TRANSIENT_FAILURE", failPicker(this.#allFailedError()));
  }

  #allFailedError(): RpcError {
    const children = [...this.#children.values()];
    const why = children.map((c) => c.error?.rawMessage ?? `${c.key}: failed`);
    return new RpcError(
      Code.UNAVAILABLE,
      `no endpoint is ready (all ${children.length} failed): ${why.join("; ")}`,
    );
  }

  #report(state: ConnectivityState, picker: Picker): void {
    this.#reported = state;
    if (state !== "READY") this.#readyPickers = [];
    this.#helper.updateState(state, picker);
  }
}
