#!/usr/bin/python3
"""One grpc.testing.TestService backend on gRPC C-core that says who it is (round_robin interop).

    /usr/bin/python3 interop/peers/python/rr_server.py --host=127.0.0.2 --port=0 --server_id=c-core-2

UnaryCall answers with `server_id` (when the request sets fill_server_id) and `hostname` set to
--server_id, and the trailing metadata `x-server-id: <server_id>` either way; EmptyCall answers
too. Anything else is UNIMPLEMENTED. Prints `LISTENING <port>` once serving; stops on SIGTERM/SIGINT.
One backend per process, so that a test can end one of them by its PID.
"""

import sys
from concurrent import futures

import grpc

import common
import stubs

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = stubs.load()

SERVER_ID_KEY = "x-server-id"


class Backend(test_pb2_grpc.TestServiceServicer):
    def __init__(self, server_id):
        self.server_id = server_id

    def EmptyCall(self, request, context):
        context.set_trailing_metadata(((SERVER_ID_KEY, self.server_id),))
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        context.set_trailing_metadata(((SERVER_ID_KEY, self.server_id),))
        response = messages_pb2.SimpleResponse(hostname=self.server_id)
        if request.fill_server_id:
            response.server_id = self.server_id
        if request.response_size > 0:
            response.payload.body = b"\0" * request.response_size
        return response


def main():
    flags = common.parse_flags(sys.argv[1:], ("host", "port", "server_id"))
    host = flags.get("host", "127.0.0.1")
    port = int(flags.get("port", "0"))
    server_id = flags.get("server_id") or host
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    test_pb2_grpc.add_TestServiceServicer_to_server(Backend(server_id), server)
    bound = common.listen(server, "rr_server", host, port)
    print("rr_server: %s on %s:%d" % (server_id, host, bound), file=sys.stderr, flush=True)
    common.serve_until_stopped(server)


if __name__ == "__main__":
    main()
