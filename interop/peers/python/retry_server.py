#!/usr/bin/python3
"""The retry "rule server" on gRPC C-core: grpcts.test.Echo whose request metadata picks how each
attempt of a call is answered, so that a client's retries and hedges (gRFC A6) can be watched from
the server's side (interop/retries.test.ts; the same contract as packages/testing/src/retry-rules.ts).

    /usr/bin/python3 interop/peers/python/retry_server.py [--port=0]

Listens on 127.0.0.1 only, prints `LISTENING <port>` once serving, stops on SIGTERM/SIGINT.

Attempts are counted per `x-call-id`; `x-rule` says what attempt i (0, 1, ...) of the call gets:
  (none)                         the Echo answer (Unary: message, payload, id; ClientStream:
                                 messages joined with ",", `received`, the last id; ServerStream:
                                 `count` responses); Unary and ClientStream set `index` to i
  fail:<code>:<n>                status <code> while i < n, then the Echo answer
  read-all-then-fail:<code>:<n>  the same; ClientStream reads every request message first (it
                                 always does)
  pushback:<value>:<n>           UNAVAILABLE with the trailer grpc-retry-pushback-ms: <value>
                                 (verbatim) while i < n, then the Echo answer
  headers-then-fail:<code>       response headers (x-rule-headers: sent) first, then status <code>;
                                 ServerStream sends one response message between them
  hang-first                     attempt 0 answers nothing until it is cancelled (and counts that
                                 it saw the cancellation); later ones answer at once
  report                         (Unary) the record of the call id, as JSON in `message`:
                                 {"previous": [grpc-previous-rpc-attempts per attempt, "" when
                                 absent], "at": [arrival, ms by this server's clock], "received":
                                 [request messages read], "cancelled": <attempts seen cancelled>}
Anything else: UNIMPLEMENTED.

The Echo stubs are generated from packages/testing/src/proto/echo.proto at start, with Debian's
python3-grpc-tools, into a temporary folder removed at exit.
"""

import json
import sys
import threading
import time
from concurrent import futures

import grpc

import common
import stubs

PREVIOUS_ATTEMPTS = "grpc-previous-rpc-attempts"
PUSHBACK = "grpc-retry-pushback-ms"
# How long a hung attempt waits for its cancellation before giving up (a bound, never reached).
HANG_LIMIT_S = 60


echo_pb2, echo_pb2_grpc = stubs.load_echo()


class Record:
    """What the server saw of one call id."""

    def __init__(self):
        self.previous = []
        self.at = []
        self.received = []
        self.cancelled = 0

    def as_json(self):
        return json.dumps(
            {"previous": self.previous, "at": self.at, "received": self.received, "cancelled": self.cancelled}
        )


class Attempt:
    """One arrival: its index among its call id's attempts, and the rule that applies to it."""

    def __init__(self, server, context):
        md = metadata_of(context)
        self.server = server
        self.context = context
        self.call_id = md.get("x-call-id", "")
        self.rule = md.get("x-rule", "").split(":")
        with server.lock:
            self.record = server.records.setdefault(self.call_id, Record())
            self.index = len(self.record.previous)
            self.record.previous.append(md.get(PREVIOUS_ATTEMPTS, ""))
            self.record.at.append(int(time.time() * 1000))
            self.record.received.append(0)

    def received(self, count):
        with self.server.lock:
            self.record.received[self.index] = count

    def apply(self, headers_alone):
        """Fails the attempt (context.abort raises) or waits as the rule says; returns to answer."""
        name, args = self.rule[0], self.rule[1:]
        context = self.context
        if name in ("fail", "read-all-then-fail") and len(args) == 2:
            if self.index < int(args[1]):
                context.abort(grpc_code(int(args[0])), "rule %s, attempt %d" % (name, self.index))
        elif name == "pushback" and len(args) == 2:
            if self.index < int(args[1]):
                context.set_trailing_metadata(((PUSHBACK, args[0]),))
                context.abort(grpc.StatusCode.UNAVAILABLE, "rule pushback, attempt %d" % self.index)
        elif name == "headers-then-fail" and len(args) == 1:
            context.send_initial_metadata((("x-rule-headers", "sent"),))
            if headers_alone:
                context.abort(grpc_code(int(args[0])), "rule headers-then-fail, attempt %d" % self.index)
        elif name == "hang-first" and not args:
            if self.index == 0:
                self.hang()
        elif name != "":
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "unknown rule %r" % ":".join(self.rule))

    def hang(self):
        ended = threading.Event()
        if not self.context.add_callback(ended.set):
            ended.set()  # the RPC had already ended
        if not ended.wait(HANG_LIMIT_S):
            self.context.abort(grpc.StatusCode.ABORTED, "hang-first: not cancelled in %d s" % HANG_LIMIT_S)
        with self.server.lock:
            self.record.cancelled += 1


def metadata_of(context):
    """The request metadata, the first value of each key."""
    md = {}
    for key, value in context.invocation_metadata():
        md.setdefault(key, value)
    return md


def grpc_code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


class RetryRules(echo_pb2_grpc.EchoServicer):
    def __init__(self):
        self.lock = threading.Lock()
        self.records = {}

    def Unary(self, request, context):
        md = metadata_of(context)
        if md.get("x-rule") == "report":
            with self.lock:
                record = self.records.get(md.get("x-call-id", ""), Record())
                return echo_pb2.EchoResponse(message=record.as_json())
        attempt = Attempt(self, context)
        attempt.received(1)
        attempt.apply(headers_alone=True)
        return echo_pb2.EchoResponse(
            message=request.message, payload=request.payload, id=request.id, index=attempt.index
        )

    def ClientStream(self, request_iterator, context):
        attempt = Attempt(self, context)
        messages = []
        last_id = 0
        for request in request_iterator:
            messages.append(request.message)
            last_id = request.id
            attempt.received(len(messages))
        attempt.apply(headers_alone=True)
        return echo_pb2.EchoResponse(
            message=",".join(messages), received=len(messages), id=last_id, index=attempt.index
        )

    def ServerStream(self, request, context):
        attempt = Attempt(self, context)
        attempt.received(1)
        if attempt.rule[0] == "headers-then-fail":
            attempt.apply(headers_alone=False)
            yield echo_pb2.EchoResponse(message=request.message, index=0, id=request.id)
            context.abort(grpc_code(int(attempt.rule[1])), "rule headers-then-fail, attempt %d" % attempt.index)
        attempt.apply(headers_alone=True)
        for i in range(request.count):
            yield echo_pb2.EchoResponse(message=request.message, payload=request.payload, index=i, id=request.id)


def main():
    flags = common.parse_flags(sys.argv[1:], ("port",))
    port = int(flags.get("port", "0"))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    echo_pb2_grpc.add_EchoServicer_to_server(RetryRules(), server)
    bound = common.listen(server, "retry_server", "127.0.0.1", port)
    print("retry_server: grpcio %s on 127.0.0.1:%d" % (grpc.__version__, bound), file=sys.stderr, flush=True)
    common.serve_until_stopped(server)


if __name__ == "__main__":
    main()
