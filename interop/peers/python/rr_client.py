#!/usr/bin/python3
"""A gRPC C-core client with round_robin over several backends (round_robin interop).

    /usr/bin/python3 interop/peers/python/rr_client.py --target=ipv4:127.0.0.1:P1,127.0.0.2:P2 \
        --servers=2 --calls=90 [--config_via=service_config|lb_policy_name|none] [--timeout_s=20] \
        [--concurrent=true]

Makes one channel to --target with round_robin, chosen by the channel option `grpc.service_config`
(a loadBalancingConfig of round_robin, the default) or by `grpc.lb_policy_name`; `none` leaves
C-core's default (pick_first), for a control run with --servers=1. It waits for the
channel to be READY, then makes UnaryCalls with fill_server_id until it has heard from --servers
distinct backends (the warm-up: C-core's round_robin reports READY once one backend is, and rotates
over the READY ones only), then --calls more, one after another (with --concurrent, all started at
once, then awaited in the order they were started). Each answer's backend is its
`server_id`, which must equal its trailing metadata `x-server-id`.

Prints one JSON line: {"warmup" (the warm-up calls' backends in order), "counts" (backend ->
measured calls), "sequence" (the measured calls' backends in order), "mismatches", "grpc_version"}.
Exits 1 when a call fails or the warm-up does not hear from every backend within --timeout_s.
"""

import json
import sys
import time

import grpc

import common
import stubs

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = stubs.load()

SERVER_ID_KEY = "x-server-id"


def channel_options(config_via):
    if config_via == "service_config":
        config = {"loadBalancingConfig": [{"round_robin": {}}]}
        return [("grpc.service_config", json.dumps(config))]
    if config_via == "lb_policy_name":
        return [("grpc.lb_policy_name", "round_robin")]
    if config_via == "none":
        return []
    sys.exit("--config_via must be service_config, lb_policy_name or none, not %r" % config_via)


def one_call(stub, timeout_s):
    request = messages_pb2.SimpleRequest(fill_server_id=True)
    response, call = stub.UnaryCall.with_call(request, timeout=timeout_s)
    trailer = dict(call.trailing_metadata() or ()).get(SERVER_ID_KEY)
    return response.server_id, trailer


def main():
    flags = common.parse_flags(
        sys.argv[1:], ("target", "servers", "calls", "config_via", "timeout_s", "concurrent")
    )
    target = flags.get("target")
    if not target:
        sys.exit("--target is required")
    servers = int(flags.get("servers", "3"))
    calls = int(flags.get("calls", "90"))
    timeout_s = float(flags.get("timeout_s", "20"))
    concurrent = common.flag_bool(flags, "concurrent", False)
    deadline = time.monotonic() + timeout_s
    channel = grpc.insecure_channel(target, options=channel_options(flags.get("config_via", "service_config")))
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout_s)
        stub = test_pb2_grpc.TestServiceStub(channel)
        mismatches = []
        warmup = []
        while len(set(warmup)) < servers:
            if time.monotonic() > deadline:
                sys.exit(
                    "rr_client: heard from only %s of %d backends after %d calls"
                    % (sorted(set(warmup)), servers, len(warmup))
                )
            server_id, trailer = one_call(stub, timeout_s)
            warmup.append(server_id)
            if server_id != trailer:
                mismatches.append([server_id, trailer])
        sequence = []
        if concurrent:
            request = messages_pb2.SimpleRequest(fill_server_id=True)
            pending = [stub.UnaryCall.future(request, timeout=timeout_s) for _ in range(calls)]
            answers = []
            for f in pending:
                answers.append((f.result().server_id, dict(f.trailing_metadata() or ()).get(SERVER_ID_KEY)))
        else:
            answers = [one_call(stub, timeout_s) for _ in range(calls)]
        for server_id, trailer in answers:
            sequence.append(server_id)
            if server_id != trailer:
                mismatches.append([server_id, trailer])
        counts = {}
        for server_id in sequence:
            counts[server_id] = counts.get(server_id, 0) + 1
        print(
            json.dumps(
                {
                    "warmup": warmup,
                    "counts": counts,
                    "sequence": sequence,
                    "mismatches": mismatches,
                    "grpc_version": grpc.__version__,
                }
            ),
            flush=True,
        )
    except grpc.RpcError as e:
        sys.exit("rr_client: call failed: %s %s" % (e.code(), e.details()))
    except grpc.FutureTimeoutError:
        sys.exit("rr_client: channel to %s not READY within %s s" % (target, timeout_s))
    finally:
        channel.close()


if __name__ == "__main__":
    main()
