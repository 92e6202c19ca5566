#!/usr/bin/python3
"""grpcts.test.Echo on gRPC C-core with server channel options given as flags, to see what C-core's
connection management does to a client (interop/keepalive.test.ts):

    /usr/bin/python3 interop/peers/python/conn_server.py --port=0 \\
        --options='[["grpc.max_connection_age_ms", 300]]'

Unary waits `delay_ms`, then echoes `message` (with `id`); the other methods are UNIMPLEMENTED.
Listens on 127.0.0.1 only, prints `LISTENING <port>` once serving, stops on SIGTERM/SIGINT.
"""

import json
import sys
import time
from concurrent import futures

import grpc

import common
import stubs

echo_pb2, echo_pb2_grpc = stubs.load_echo()


class Echo(echo_pb2_grpc.EchoServicer):
    def Unary(self, request, context):
        if request.delay_ms > 0:
            time.sleep(request.delay_ms / 1000)
        return echo_pb2.EchoResponse(message=request.message, id=request.id)


def main():
    flags = common.parse_flags(sys.argv[1:], ("port", "options"))
    port = int(flags.get("port", "0"))
    options = [tuple(o) for o in json.loads(flags.get("options", "[]"))]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=options)
    echo_pb2_grpc.add_EchoServicer_to_server(Echo(), server)
    bound = common.listen(server, "conn_server", "127.0.0.1", port)
    print("conn_server: grpcio %s, options %s" % (grpc.__version__, options), file=sys.stderr, flush=True)
    common.serve_until_stopped(server)


if __name__ == "__main__":
    main()
