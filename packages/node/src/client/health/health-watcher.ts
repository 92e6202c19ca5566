/**
 * Client-side health checking (gRFC A17): while a subchannel is READY, a
 * `grpc.health.v1.Health/Watch` call on its connection tells whether the backend serves the
 * configured service. The subchannel counts as READY for the policies only while the last report
 * was SERVING (until the first report it is not). A server without the health service
 * (UNIMPLEMENTED) is taken as healthy, as the gRFC says. A Watch that fails is started again after
 * a backoff, or at once when it had delivered a report first.
 */
import { Code, Metadata, RpcError } from "@grpc-ts/core";
import { frameGrpcRequest, GrpcAttempt, type GrpcAttemptConfig } from "@grpc-ts/core/grpc";
import { Call, type CallPlan } from "@grpc-ts/core/protocol";
import { Backoff, type BackoffOptions } from "../backoff.js";
import type { Clock, TimerHandle } from "../clock.js";
import type { SharedSubchannel } from "../subchannel/subchannel.js";
import { healthWatch, SERVING, servingStatusName } from "./health-codec.js";

export interface HealthWatcher {
  stop(): void;
}

/** Watches `subchannel`'s health for `serviceName` until stopped; health is set on the subchannel. */
export function watchSubchannelHealth(
  subchannel: SharedSubchannel,
  serviceName: string,
  config: GrpcAttemptConfig,
  clock: Clock,
  backoff: BackoffOptions | undefined,
): HealthWatcher {
  const retry = new Backoff(backoff);
  // The health service speaks protobuf, whatever the channel's codec.
  const protoConfig = config.codecName === "proto" ? config : { ...config, codecName: "proto" };
  let controller: AbortController | undefined;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let disabled = false;

  function startWatch(): void {
    const connection = subchannel.connection;
    if (stopped || disabled || connection === undefined || controller !== undefined) return;
    const abort = new AbortController();
    controller = abort;
    let reported = false;
    const call = new Call({
      method: healthWatch,
      stream: false,
      message: serviceName,
      header: new Metadata(),
      signal: abort.signal,
      deadline: undefined,
      compression: undefined,
      waitForReady: false,
    });
    const ended = (error: RpcError | undefined): void => {
      if (controller !== abort) return;
      controller = undefined;
      if (stopped || abort.signal.aborted) return;
      if (error?.code === Code.UNIMPLEMENTED) {
        // No health service on this server: the subchannel is used as it is (A17).
        disabled = true;
        subchannel.setHealth(true);
        return;
      }
      subchannel.setHealth(
        false,
        new RpcError(
          Code.UNAVAILABLE,
          `${subchannel.name}: health check failed: ${error?.message ?? "the Watch ended"}`,
        ),
      );
      if (reported) {
        retry.reset();
        startWatch();
      } else {
        timer = clock.setTimeout(() => {
          timer = undefined;
          startWatch();
        }, retry.next());
        timer.unref();
      }
    };
    const plan: CallPlan = {
      start: (c, index) => new GrpcAttempt(c, index, protoConfig).start(connection),
      frame: (c, message) => frameGrpcRequest(protoConfig, c, message),
    };
    call.begin(plan).then(
      async (res) => {
        if (!res.stream) return ended(undefined);
        try {
          for await (const status of res.message as AsyncIterable<number>) {
            reported = true;
            if (status === SERVING) subchannel.setHealth(true);
            else
              subchannel.setHealth(
                false,
                new RpcError(
                  Code.UNAVAILABLE,
                  `${subchannel.name}: the backend reports ${servingStatusName(status)}`,
                ),
              );
          }
          ended(undefined);
        } catch (e) {
          ended(RpcError.from(e));
        }
      },
      (e: unknown) => ended(RpcError.from(e)),
    );
  }

  function stopWatch(): void {
    timer?.cancel();
    timer = undefined;
    const c = controller;
    controller = undefined;
    c?.abort(new RpcError(Code.CANCELLED, "the subchannel's connection is gone"));
  }

  function onState(): void {
    const connectivity = subchannel.connectivity.kind;
    if (connectivity === "READY") {
      if (!disabled && controller === undefined && timer === undefined) {
        if (subchannel.healthy) subchannel.setHealthPending();
        startWatch();
      }
    } else {
      stopWatch();
      disabled = false;
      // Pending from now on, so that the subchannel is CONNECTING (not READY) for the policy when
      // its connection becomes READY, until the first report (A17): otherwise a call queued for
      // a picker would go, in that moment, to a backend that then reports NOT_SERVING.
      subchannel.setHealthPending();
    }
  }

  const unwatch = subchannel.watchConnectivity(() => onState());
  onState();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      unwatch();
      stopWatch();
      subchannel.setHealth(true);
    },
  };
}
