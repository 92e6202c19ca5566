import { Code, RpcError, type ServiceImpl } from "@grpc-ts/core";
import {
  type Health,
  HealthCheckResponse_ServingStatus as WireStatus,
} from "../gen/grpc/health/v1/health_pb.js";

/** The status of a service, as the application reports it. */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING";

export interface HealthOptions {
  /**
   * The statuses to start with, by service name (`""` is the server as a whole).
   * Default: `{ "": "SERVING" }`.
   */
  readonly statuses?: Readonly<Record<string, ServingStatus>>;
}

export interface HealthShutdownOptions {
  /**
   * Also end every running `Watch` call (with UNAVAILABLE, after it was sent NOT_SERVING), so that
   * long-lived watches do not hold up a graceful server shutdown. Default false.
   */
  readonly endWatches?: boolean;
}

/**
 * The statuses served by `grpc.health.v1.Health`, and its implementation (`impl`).
 *
 * - `Check` answers the status of a service, or NOT_FOUND for a service that has none.
 * - `Watch` sends the current status at once (SERVICE_UNKNOWN for a service that has none) and then
 *   one message per change, until the client cancels.
 * - `List` answers every status (at most 100 services; RESOURCE_EXHAUSTED beyond).
 */
export interface HealthReporter {
  /** Sets the status of `service` (`""` for the whole server); watchers see the change. */
  setStatus(service: string, status: ServingStatus): void;
  /** The status of `service`, or undefined when it has none. */
  getStatus(service: string): ServingStatus | undefined;
  /**
   * Removes the status of `service`: `Check` answers NOT_FOUND again, watchers get SERVICE_UNKNOWN.
   * Returns whether it had one.
   */
  clearStatus(service: string): boolean;
  /** A copy of every status, by service name. */
  statuses(): Record<string, ServingStatus>;
  /**
   * Sets every status to NOT_SERVING and ignores `setStatus` and `clearStatus` from then on, until
   * `resume()`. `addHealth` calls it (with `endWatches`) when the server starts shutting down.
   */
  shutdown(options?: HealthShutdownOptions): void;
  /** Leaves the shut-down state: every status becomes SERVING and changes count again. */
  resume(): void;
  /** True between `shutdown()` and `resume()`. */
  readonly isShutDown: boolean;
  /** The handlers of `grpc.health.v1.Health`: `server.add(Health, reporter.impl)`. */
  readonly impl: ServiceImpl<typeof Health>;
}

/** The most services `List` answers with (gRFC A90). */
export const MAX_LIST_SERVICES = 100;

/** The most status changes kept for a watcher that reads slowly; older ones are dropped. */
const MAX_PENDING = 32;

interface Watcher {
  readonly pending: WireStatus[];
  /** The last status queued for this watcher (to send changes only). */
  last: WireStatus | undefined;
  ended: boolean;
  wake: (() => void) | undefined;
}

const servingStatuses: readonly ServingStatus[] = ["UNKNOWN", "SERVING", "NOT_SERVING"];

function toWire(status: ServingStatus | undefined): WireStatus {
  switch (status) {
    case undefined:
      return WireStatus.SERVICE_UNKNOWN;
    case "SERVING":
      return WireStatus.SERVING;
    case "NOT_SERVING":
      return WireStatus.NOT_SERVING;
    default:
      return WireStatus.UNKNOWN;
  }
}

function checkStatus(status: ServingStatus): void {
  if (!servingStatuses.includes(status)) {
    throw new TypeError(
      `invalid serving status ${JSON.stringify(status)} (use ${servingStatuses.join(", ")})`,
    );
  }
}

/** Creates the statuses and handlers of the health service; see `addHealth` for the one-call setup. */
export function createHealth(options: HealthOptions = {}): HealthReporter {
  const statuses = new Map<string, ServingStatus>();
  const watchers = new Map<string, Set<Watcher>>();
  let shutDown = false;

  const initial: Readonly<Record<string, ServingStatus>> = options.statuses ?? { "": "SERVING" };
  for (const [service, status] of Object.entries(initial)) {
    checkStatus(status);
    statuses.set(service, status);
  }

  function queue(watcher: Watcher, status: WireStatus): void {
    if (watcher.ended || watcher.last === status) return;
    watcher.last = status;
    watcher.pending.push(status);
    if (watcher.pending.length > MAX_PENDING) watcher.pending.shift();
    watcher.wake?.();
  }

  function publish(service: string): void {
    const set = watchers.get(service);
    if (set === undefined) return;
    const status = toWire(statuses.get(service));
    for (const watcher of set) queue(watcher, status);
  }

  function update(service: string, status: ServingStatus | undefined): void {
    if (status === undefined) statuses.delete(service);
    else statuses.set(service, status);
    publish(service);
  }

  const impl: ServiceImpl<typeof Health> = {
    check(request) {
      const status = statuses.get(request.service);
      if (status === undefined) {
        throw new RpcError(Code.NOT_FOUND, `unknown service ${JSON.stringify(request.service)}`);
      }
      return { status: toWire(status) };
    },

    list() {
      if (statuses.size > MAX_LIST_SERVICES) {
        throw new RpcError(
          Code.RESOURCE_EXHAUSTED,
          `${statuses.size} services have a status, more than the ${MAX_LIST_SERVICES} List answers with`,
        );
      }
      const entries = [...statuses].map(
        ([service, status]) => [service, { status: toWire(status) }] as const,
      );
      return { statuses: Object.fromEntries(entries) };
    },

    async *watch(request, ctx) {
      const service = request.service;
      const watcher: Watcher = { pending: [], last: undefined, ended: false, wake: undefined };
      let set = watchers.get(service);
      if (set === undefined) {
        set = new Set();
        watchers.set(service, set);
      }
      set.add(watcher);
      queue(watcher, toWire(statuses.get(service)));
      const signal = ctx.signal;
      try {
        while (!signal.aborted) {
          const next = watcher.pending.shift();
          if (next !== undefined) {
            yield { status: next };
            continue;
          }
          if (watcher.ended) throw new RpcError(Code.UNAVAILABLE, "the server is shutting down");
          await new Promise<void>((resolve) => {
            const wake = (): void => {
              watcher.wake = undefined;
              signal.removeEventListener("abort", wake);
              resolve();
            };
            watcher.wake = wake;
            signal.addEventListener("abort", wake);
          });
        }
      } finally {
        set.delete(watcher);
        if (set.size === 0 && watchers.get(service) === set) watchers.delete(service);
      }
    },
  };

  return {
    impl,
    get isShutDown() {
      return shutDown;
    },
    setStatus(service, status) {
      checkStatus(status);
      if (shutDown) return;
      update(service, status);
    },
    getStatus(service) {
      return statuses.get(service);
    },
    clearStatus(service) {
      if (shutDown || !statuses.has(service)) return false;
      update(service, undefined);
      return true;
    },
    statuses() {
      return Object.fromEntries(statuses);
    },
    shutdown(shutdownOptions = {}) {
      shutDown = true;
      for (const service of [...statuses.keys()]) update(service, "NOT_SERVING");
      if (shutdownOptions.endWatches === true) {
        for (const set of watchers.values()) {
          for (const watcher of set) {
            watcher.ended = true;
            watcher.wake?.();
          }
        }
      }
    },
    resume() {
      shutDown = false;
      for (const service of [...statuses.keys()]) update(service, "SERVING");
    },
  };
}
