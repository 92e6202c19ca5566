#!/usr/bin/python3
"""A gRPC C-core client that pings: one grpcts.test.Echo/Bidi call held open, sending nothing,
on a channel with C-core's keepalive set to ping every --keepalive_time_ms (interop/keepalive.test.ts).

    /usr/bin/python3 interop/peers/python/keepalive_client.py --target=127.0.0.1:PORT \\
        --keepalive_time_ms=100 --hold_s=3

C-core's own limits on its PINGs are lifted (`grpc.http2.max_pings_without_data` 0, no minimum
time between PINGs), so it pings at exactly that rate, whether or not the server answers with
data. The call half-closes after --hold_s seconds. Prints one JSON line: the call's status code
name and details, and how long it lasted. C-core's own log (stderr) says when it got GOAWAY
ENHANCE_YOUR_CALM "too_many_pings".
"""

import json
import sys
import threading
import time

import grpc

import common
import stubs

echo_pb2, echo_pb2_grpc = stubs.load_echo()


def main():
    flags = common.parse_flags(sys.argv[1:], ("target", "keepalive_time_ms", "hold_s"))
    target = flags["target"]
    keepalive_ms = int(flags.get("keepalive_time_ms", "100"))
    hold_s = float(flags.get("hold_s", "3"))
    options = [
        ("grpc.keepalive_time_ms", keepalive_ms),
        ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.http2.min_time_between_pings_ms", keepalive_ms),
        ("grpc.enable_retries", 0),
    ]
    done = threading.Event()

    def requests():
        done.wait(hold_s)
        return
        yield  # a generator that sends nothing

    start = time.monotonic()
    with grpc.insecure_channel(target, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        stub = echo_pb2_grpc.EchoStub(channel)
        call = stub.Bidi(requests(), timeout=hold_s + 10)
        try:
            for _ in call:
                pass
            code, details = call.code(), call.details()
        except grpc.RpcError as e:
            code, details = e.code(), e.details()
        done.set()
    print(
        json.dumps(
            {
                "code": code.name,
                "details": details or "",
                "elapsed_s": round(time.monotonic() - start, 3),
                "grpc_version": grpc.__version__,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
