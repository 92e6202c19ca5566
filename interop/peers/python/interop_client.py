#!/usr/bin/python3
"""The interop client on gRPC C-core through Debian's python3-grpcio (the interop peer).

    /usr/bin/python3 interop/peers/python/interop_client.py --server_host=H --server_port=N \
        --test_case=NAME|all|a,b,c [--use_tls=true] [--server_host_override=NAME] [--certs_dir=D]

Prints `PASS <case>` / `FAIL <case>: <reason>` per case (one channel per case) and exits 1 when
any case failed. The cases follow grpc/grpc doc/interop-test-descriptions.md, plus this project's
`concurrency` and `bulk` (see interop/src/client-cases.ts).

The compressed flag of a response message is not part of the Python API: the channel disables
C-core's per-message decompression (grpc.per_message_decompression = 0), so a compressed response
reaches the deserializer as gzip bytes, which it recognises, decompresses and marks.
"""

import hashlib
import queue
import sys
import zlib

import grpc

import common
import stubs

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = stubs.load()

# Every call but the deadline case gets this deadline, so a hung call cannot hang the client.
CALL_TIMEOUT_S = 60

CASES = (
    "empty_unary",
    "large_unary",
    "client_compressed_unary",
    "server_compressed_unary",
    "client_streaming",
    "client_compressed_streaming",
    "server_streaming",
    "server_compressed_streaming",
    "ping_pong",
    "empty_stream",
    "custom_metadata",
    "status_code_and_message",
    "special_status_message",
    "unimplemented_method",
    "unimplemented_service",
    "cancel_after_begin",
    "cancel_after_first_response",
    "timeout_on_sleeping_server",
    "concurrency",
    "bulk",
)


class CaseFailed(Exception):
    pass


class Unsupported(CaseFailed):
    """The case needs something this client's API cannot do (an expected gap of the matrix)."""


def check(condition, message):
    if not condition:
        raise CaseFailed(message)


class Received:
    __slots__ = ("message", "compressed")

    def __init__(self, message, compressed):
        self.message = message
        self.compressed = compressed


def deserializer(message_class):
    def deserialize(data):
        compressed = common.is_gzip(data)
        if compressed:
            data = zlib.decompress(data, 31)
        return Received(message_class.FromString(data), compressed)

    return deserialize


def serialize(message):
    return message.SerializeToString()


class Stub:
    """TestService / UnimplementedService methods whose responses are `Received` (message + compressed flag)."""

    def __init__(self, channel):
        simple = deserializer(messages_pb2.SimpleResponse)
        output = deserializer(messages_pb2.StreamingOutputCallResponse)
        empty = deserializer(empty_pb2.Empty)
        svc = "/grpc.testing.TestService/"
        self.empty_call = channel.unary_unary(svc + "EmptyCall", serialize, empty)
        self.unary_call = channel.unary_unary(svc + "UnaryCall", serialize, simple)
        self.streaming_input_call = channel.stream_unary(
            svc + "StreamingInputCall", serialize, deserializer(messages_pb2.StreamingInputCallResponse)
        )
        self.streaming_output_call = channel.unary_stream(svc + "StreamingOutputCall", serialize, output)
        self.full_duplex_call = channel.stream_stream(svc + "FullDuplexCall", serialize, output)
        self.unimplemented_call = channel.unary_unary(svc + "UnimplementedCall", serialize, empty)
        self.unimplemented_service_call = channel.unary_unary(
            "/grpc.testing.UnimplementedService/UnimplementedCall", serialize, empty
        )


class Pipe:
    """A request iterator fed one message at a time (for ping-pong and cancellation)."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def add(self, message):
        self._queue.put(message)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get(timeout=CALL_TIMEOUT_S)
        if item is self._END:
            raise StopIteration
        return item


def expect_status(fn, code, message=None):
    try:
        fn()
    except grpc.RpcError as e:
        check(e.code() == code, "expected status %s, got %s: %s" % (code.name, e.code().name, e.details()))
        if message is not None:
            check(e.details() == message, "expected status message %r, got %r" % (message, e.details()))
        return
    raise CaseFailed("expected status %s, but the call succeeded" % code.name)


def check_body(payload, size, what):
    check(len(payload.body) == size, "%s: payload is %d bytes, expected %d" % (what, len(payload.body), size))
    check(payload.body.count(0) == size, "%s: payload is not all zeros" % what)


def large_request(**fields):
    return messages_pb2.SimpleRequest(
        response_size=common.LARGE_RESPONSE_SIZE,
        payload=messages_pb2.Payload(body=bytes(common.LARGE_REQUEST_SIZE)),
        **fields
    )


def empty_unary(stub):
    response = stub.empty_call(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)
    check(response is not None and response.message is not None, "response is null")


def large_unary(stub):
    check_body(stub.unary_call(large_request(), timeout=CALL_TIMEOUT_S).message.payload, common.LARGE_RESPONSE_SIZE, "large_unary")


def client_compressed_unary(stub):
    probe = large_request(expect_compressed=messages_pb2.BoolValue(value=True))
    expect_status(lambda: stub.unary_call(probe, timeout=CALL_TIMEOUT_S), grpc.StatusCode.INVALID_ARGUMENT)
    response = stub.unary_call(probe, timeout=CALL_TIMEOUT_S, compression=grpc.Compression.Gzip)
    check_body(response.message.payload, common.LARGE_RESPONSE_SIZE, "compressed request")
    plain = large_request(expect_compressed=messages_pb2.BoolValue(value=False))
    response = stub.unary_call(plain, timeout=CALL_TIMEOUT_S)
    check_body(response.message.payload, common.LARGE_RESPONSE_SIZE, "uncompressed request")


def server_compressed_unary(stub):
    for value in (True, False):
        response = stub.unary_call(
            large_request(response_compressed=messages_pb2.BoolValue(value=value)), timeout=CALL_TIMEOUT_S
        )
        check(
            response.compressed == value,
            "response_compressed=%s, but the response's compressed flag was %s" % (value, response.compressed),
        )
        check_body(response.message.payload, common.LARGE_RESPONSE_SIZE, "response_compressed=%s" % value)


def client_streaming(stub):
    requests = [
        messages_pb2.StreamingInputCallRequest(payload=messages_pb2.Payload(body=bytes(n)))
        for n in common.STREAM_REQUEST_SIZES
    ]
    response = stub.streaming_input_call(iter(requests), timeout=CALL_TIMEOUT_S).message
    check(response.aggregated_payload_size == 74922, "aggregated_payload_size is %d" % response.aggregated_payload_size)


def client_compressed_streaming(stub):
    # The probe is possible; the second half is not: grpcio's request iterators have no per-message
    # write flags, so a compressed call cannot send one message uncompressed.
    probe = messages_pb2.StreamingInputCallRequest(
        expect_compressed=messages_pb2.BoolValue(value=True), payload=messages_pb2.Payload(body=bytes(27182))
    )
    expect_status(
        lambda: stub.streaming_input_call(iter([probe]), timeout=CALL_TIMEOUT_S), grpc.StatusCode.INVALID_ARGUMENT
    )
    raise Unsupported("unsupported: grpcio cannot send one message of a compressed stream uncompressed")


def check_sizes(responses, sizes):
    check(len(responses) == len(sizes), "got %d responses, expected %d" % (len(responses), len(sizes)))
    for i, (r, size) in enumerate(zip(responses, sizes)):
        check_body(r.message.payload, size, "response %d" % (i + 1))


def server_streaming(stub):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=n) for n in common.STREAM_RESPONSE_SIZES]
    )
    check_sizes(list(stub.streaming_output_call(request, timeout=CALL_TIMEOUT_S)), common.STREAM_RESPONSE_SIZES)


def server_compressed_streaming(stub):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[
            messages_pb2.ResponseParameters(compressed=messages_pb2.BoolValue(value=True), size=31415),
            messages_pb2.ResponseParameters(compressed=messages_pb2.BoolValue(value=False), size=92653),
        ]
    )
    responses = list(stub.streaming_output_call(request, timeout=CALL_TIMEOUT_S))
    check_sizes(responses, (31415, 92653))
    check(responses[0].compressed, "response 1 (compressed: true) arrived without the compressed flag")
    check(not responses[1].compressed, "response 2 (compressed: false) arrived with the compressed flag")


def ping_pong(stub):
    pipe = Pipe()
    responses = stub.full_duplex_call(pipe, timeout=CALL_TIMEOUT_S)
    try:
        for i, (req_size, res_size) in enumerate(zip(common.STREAM_REQUEST_SIZES, common.STREAM_RESPONSE_SIZES)):
            pipe.add(
                messages_pb2.StreamingOutputCallRequest(
                    response_parameters=[messages_pb2.ResponseParameters(size=res_size)],
                    payload=messages_pb2.Payload(body=bytes(req_size)),
                )
            )
            response = next(responses, None)
            check(response is not None, "the response stream ended after %d responses" % i)
            check_body(response.message.payload, res_size, "response %d" % (i + 1))
        pipe.close()
        check(next(responses, None) is None, "more than four responses")
    finally:
        pipe.close()
        responses.cancel()


def empty_stream(stub):
    responses = list(stub.full_duplex_call(iter([]), timeout=CALL_TIMEOUT_S))
    check(len(responses) == 0, "expected no responses, got %d" % len(responses))


def check_echo(what, call):
    initial = dict(call.initial_metadata()).get(common.ECHO_INITIAL_KEY)
    check(initial == common.ECHO_INITIAL_VALUE, "%s: initial metadata %s is %r" % (what, common.ECHO_INITIAL_KEY, initial))
    trailing = dict(call.trailing_metadata()).get(common.ECHO_TRAILING_KEY)
    check(
        trailing == common.ECHO_TRAILING_VALUE,
        "%s: trailing metadata %s is %r" % (what, common.ECHO_TRAILING_KEY, trailing),
    )


def custom_metadata(stub):
    metadata = ((common.ECHO_INITIAL_KEY, common.ECHO_INITIAL_VALUE), (common.ECHO_TRAILING_KEY, common.ECHO_TRAILING_VALUE))
    response, call = stub.unary_call.with_call(large_request(), metadata=metadata, timeout=CALL_TIMEOUT_S)
    check_body(response.message.payload, common.LARGE_RESPONSE_SIZE, "UnaryCall")
    check_echo("UnaryCall", call)
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=common.LARGE_RESPONSE_SIZE)],
        payload=messages_pb2.Payload(body=bytes(common.LARGE_REQUEST_SIZE)),
    )
    responses = stub.full_duplex_call(iter([request]), metadata=metadata, timeout=CALL_TIMEOUT_S)
    check_sizes(list(responses), (common.LARGE_RESPONSE_SIZE,))
    check_echo("FullDuplexCall", responses)


def status_code_and_message(stub):
    status = messages_pb2.EchoStatus(code=2, message=common.TEST_STATUS_MESSAGE)
    expect_status(
        lambda: stub.unary_call(messages_pb2.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNKNOWN,
        common.TEST_STATUS_MESSAGE,
    )
    request = messages_pb2.StreamingOutputCallRequest(response_status=status)
    expect_status(
        lambda: list(stub.full_duplex_call(iter([request]), timeout=CALL_TIMEOUT_S)),
        grpc.StatusCode.UNKNOWN,
        common.TEST_STATUS_MESSAGE,
    )


def special_status_message(stub):
    status = messages_pb2.EchoStatus(code=2, message=common.SPECIAL_STATUS_MESSAGE)
    expect_status(
        lambda: stub.unary_call(messages_pb2.SimpleRequest(response_status=status), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNKNOWN,
        common.SPECIAL_STATUS_MESSAGE,
    )


def unimplemented_method(stub):
    expect_status(lambda: stub.unimplemented_call(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S), grpc.StatusCode.UNIMPLEMENTED)


def unimplemented_service(stub):
    expect_status(
        lambda: stub.unimplemented_service_call(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.UNIMPLEMENTED,
    )


def cancel_after_begin(stub):
    pipe = Pipe()
    try:
        future = stub.streaming_input_call.future(pipe, timeout=CALL_TIMEOUT_S)
        future.cancel()
        check(future.cancelled(), "the call did not report itself cancelled")
        check(future.code() == grpc.StatusCode.CANCELLED, "expected CANCELLED, got %s" % future.code())
    finally:
        pipe.close()


def cancel_after_first_response(stub):
    pipe = Pipe()
    responses = stub.full_duplex_call(pipe, timeout=CALL_TIMEOUT_S)
    try:
        pipe.add(
            messages_pb2.StreamingOutputCallRequest(
                response_parameters=[messages_pb2.ResponseParameters(size=31415)],
                payload=messages_pb2.Payload(body=bytes(27182)),
            )
        )
        first = next(responses, None)
        check(first is not None, "no response before the stream ended")
        check_body(first.message.payload, 31415, "first response")
        responses.cancel()
        expect_status(lambda: next(responses), grpc.StatusCode.CANCELLED)
    finally:
        pipe.close()


def timeout_on_sleeping_server(stub):
    pipe = Pipe()
    try:
        responses = stub.full_duplex_call(pipe, timeout=0.001)
        pipe.add(messages_pb2.StreamingOutputCallRequest(payload=messages_pb2.Payload(body=bytes(27182))))
        expect_status(lambda: list(responses), grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        pipe.close()


def concurrency(stub):
    body = bytes(common.LARGE_REQUEST_SIZE)
    calls = []
    for i in range(common.CONCURRENT_CALLS):
        request = messages_pb2.SimpleRequest(
            response_size=common.LARGE_RESPONSE_SIZE + i, payload=messages_pb2.Payload(body=body)
        )
        tag = "concurrency-%d" % i
        calls.append((i, tag, stub.unary_call.future(request, metadata=((common.ECHO_INITIAL_KEY, tag),), timeout=CALL_TIMEOUT_S)))
    failures = []
    for i, tag, future in calls:
        try:
            response = future.result()
            check_body(response.message.payload, common.LARGE_RESPONSE_SIZE + i, "call %d" % i)
            echoed = dict(future.initial_metadata()).get(common.ECHO_INITIAL_KEY)
            check(echoed == tag, "call %d: got the header of another call (%r)" % (i, echoed))
        except (grpc.RpcError, CaseFailed) as e:
            failures.append((i, e))
    if failures:
        i, e = failures[0]
        reason = "%s: %s" % (e.code().name, e.details()) if isinstance(e, grpc.RpcError) else str(e)
        raise CaseFailed("%d of %d calls failed; first: call %d: %s" % (len(failures), common.CONCURRENT_CALLS, i, reason))


def bulk(stub):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[
            messages_pb2.ResponseParameters(size=common.BULK_MESSAGE_SIZE) for _ in range(common.BULK_MESSAGES)
        ]
    )
    total = hashlib.sha256()
    expected_total = hashlib.sha256()
    index = 0
    for response in stub.streaming_output_call(
        request, metadata=((common.BULK_FILL_KEY, common.BULK_FILL_VALUE),), timeout=CALL_TIMEOUT_S
    ):
        check(index < common.BULK_MESSAGES, "more than %d messages" % common.BULK_MESSAGES)
        body = response.message.payload.body
        expected = common.bulk_body(index, common.BULK_MESSAGE_SIZE)
        check(
            body == expected,
            "message %d: content differs from the pattern (%d bytes; reordered, corrupted or not filled)"
            % (index, len(body)),
        )
        total.update(body)
        expected_total.update(expected)
        index += 1
    check(index == common.BULK_MESSAGES, "got %d messages, expected %d" % (index, common.BULK_MESSAGES))
    check(total.hexdigest() == expected_total.hexdigest(), "stream checksum differs")


def make_channel(flags):
    host = flags.get("server_host", "127.0.0.1")
    target = "%s:%s" % ("[%s]" % host if ":" in host else host, flags["server_port"])
    options = [("grpc.per_message_decompression", 0)]
    if not common.flag_bool(flags, "use_tls", False):
        return grpc.insecure_channel(target, options=options)
    if "server_host_override" in flags:
        options.append(("grpc.ssl_target_name_override", flags["server_host_override"]))
    root = None
    if common.flag_bool(flags, "use_test_ca", True):
        root = common.read_certs(flags.get("certs_dir", common.DEFAULT_CERTS_DIR))["ca"]
    return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root), options=options)


def run_case(name, flags):
    channel = make_channel(flags)
    try:
        globals()[name](Stub(channel))
        return None
    except grpc.RpcError as e:
        return "%s: %s" % (e.code().name, e.details())
    except (CaseFailed, queue.Empty) as e:
        return str(e) or type(e).__name__
    finally:
        channel.close()


def main():
    flags = common.parse_flags(
        sys.argv[1:],
        (
            "server_host",
            "server_host_override",
            "server_port",
            "test_case",
            "use_tls",
            "use_test_ca",
            "certs_dir",
            "default_service_account",
            "oauth_scope",
            "service_account_key_file",
        ),
    )
    if "server_port" not in flags:
        sys.exit("interop client: --server_port is required")
    spec = flags.get("test_case", "all")
    names = list(CASES) if spec == "all" else [n.strip() for n in spec.split(",")]
    for n in names:
        if n not in CASES:
            print("interop client: unknown test case %r" % n, file=sys.stderr)
            sys.exit(2)
    failed = 0
    for name in names:
        reason = run_case(name, flags)
        if reason is None:
            print("PASS " + name, flush=True)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, reason.replace("\r", "\\r").replace("\n", "\\n")), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
