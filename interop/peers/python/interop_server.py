#!/usr/bin/python3
"""grpc.testing.TestService on gRPC C-core through Debian's python3-grpcio (the interop peer).

    /usr/bin/python3 interop/peers/python/interop_server.py --port=N [--use_tls=true] [--certs_dir=D]

Implements the server features of grpc/grpc doc/interop-test-descriptions.md, like our own server
(interop/src/test-service.ts), including the bulk fill (request metadata x-grpc-ts-interop-fill: bulk).
Prints `LISTENING <port>` once serving; `--port=0` picks a free port. Stops on SIGTERM/SIGINT.

Whether a request message arrived compressed is not part of the Python API: the server disables
C-core's per-message decompression (grpc.per_message_decompression = 0), so a compressed message
reaches the deserializer as gzip bytes, which it recognises (0x1f 0x8b can never start a protobuf
message), decompresses and marks.
"""

import sys
import time
import zlib
from concurrent import futures

import grpc

import common
import stubs

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = stubs.load()

STATUS_BY_CODE = {sc.value[0]: sc for sc in grpc.StatusCode}


class Received:
    """A request message and whether it arrived compressed."""

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


def echo_metadata(context):
    metadata = dict(context.invocation_metadata())
    initial = metadata.get(common.ECHO_INITIAL_KEY)
    if initial is not None:
        context.send_initial_metadata(((common.ECHO_INITIAL_KEY, initial),))
    trailing = metadata.get(common.ECHO_TRAILING_KEY)
    if trailing is not None:
        context.set_trailing_metadata(((common.ECHO_TRAILING_KEY, trailing),))
    return metadata


def echo_status(request, context):
    if request.HasField("response_status") and request.response_status.code != 0:
        code = STATUS_BY_CODE.get(request.response_status.code, grpc.StatusCode.UNKNOWN)
        context.abort(code, request.response_status.message)


def check_expect_compressed(received, context):
    request = received.message
    if not request.HasField("expect_compressed"):
        return
    if request.expect_compressed.value and not received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected a compressed request, got an uncompressed one")
    if not request.expect_compressed.value and received.compressed:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "expected an uncompressed request, got a compressed one")


class ResponseWriter:
    """Shapes streaming responses by ResponseParameters (interval_us, compressed, size, bulk fill)."""

    def __init__(self, context, metadata):
        self.context = context
        self.bulk = metadata.get(common.BULK_FILL_KEY) == common.BULK_FILL_VALUE
        self.index = 0
        self.compressing = False

    def prepare(self, params):
        if not self.compressing and any(p.HasField("compressed") and p.compressed.value for p in params):
            self.context.set_compression(grpc.Compression.Gzip)
            self.compressing = True

    def next(self, p):
        if p.interval_us > 0:
            time.sleep(p.interval_us / 1e6)
        body = common.bulk_body(self.index, p.size) if self.bulk else bytes(p.size)
        self.index += 1
        if p.HasField("compressed") and not p.compressed.value:
            self.context.disable_next_message_compression()
        return messages_pb2.StreamingOutputCallResponse(payload=messages_pb2.Payload(body=body))


def empty_call(_request, context):
    echo_metadata(context)
    return empty_pb2.Empty()


def unary_call(received, context):
    echo_metadata(context)
    request = received.message
    echo_status(request, context)
    check_expect_compressed(received, context)
    if request.response_type != messages_pb2.COMPRESSABLE:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unsupported response_type")
    if request.HasField("response_compressed"):
        context.set_compression(
            grpc.Compression.Gzip if request.response_compressed.value else grpc.Compression.NoCompression
        )
    return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=bytes(request.response_size)))


def cacheable_unary_call(_received, context):
    echo_metadata(context)
    context.send_initial_metadata((("cache-control", "max-age=60, public"),))
    return messages_pb2.SimpleResponse(payload=messages_pb2.Payload(body=str(time.time_ns()).encode()))


def streaming_input_call(request_iterator, context):
    echo_metadata(context)
    total = 0
    for received in request_iterator:
        check_expect_compressed(received, context)
        total += len(received.message.payload.body)
    return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)


def streaming_output_call(received, context):
    metadata = echo_metadata(context)
    request = received.message
    echo_status(request, context)
    writer = ResponseWriter(context, metadata)
    writer.prepare(request.response_parameters)
    for p in request.response_parameters:
        yield writer.next(p)


def full_duplex_call(request_iterator, context):
    metadata = echo_metadata(context)
    writer = ResponseWriter(context, metadata)
    for received in request_iterator:
        request = received.message
        echo_status(request, context)
        writer.prepare(request.response_parameters)
        for p in request.response_parameters:
            yield writer.next(p)


def half_duplex_call(request_iterator, context):
    metadata = echo_metadata(context)
    requests = []
    for received in request_iterator:
        echo_status(received.message, context)
        requests.append(received.message)
    writer = ResponseWriter(context, metadata)
    for request in requests:
        writer.prepare(request.response_parameters)
    for request in requests:
        for p in request.response_parameters:
            yield writer.next(p)


def handlers():
    simple = deserializer(messages_pb2.SimpleRequest)
    output = deserializer(messages_pb2.StreamingOutputCallRequest)
    return grpc.method_handlers_generic_handler(
        "grpc.testing.TestService",
        {
            "EmptyCall": grpc.unary_unary_rpc_method_handler(
                empty_call, request_deserializer=deserializer(empty_pb2.Empty), response_serializer=serialize
            ),
            "UnaryCall": grpc.unary_unary_rpc_method_handler(
                unary_call, request_deserializer=simple, response_serializer=serialize
            ),
            "CacheableUnaryCall": grpc.unary_unary_rpc_method_handler(
                cacheable_unary_call, request_deserializer=simple, response_serializer=serialize
            ),
            "StreamingInputCall": grpc.stream_unary_rpc_method_handler(
                streaming_input_call,
                request_deserializer=deserializer(messages_pb2.StreamingInputCallRequest),
                response_serializer=serialize,
            ),
            "StreamingOutputCall": grpc.unary_stream_rpc_method_handler(
                streaming_output_call, request_deserializer=output, response_serializer=serialize
            ),
            "FullDuplexCall": grpc.stream_stream_rpc_method_handler(
                full_duplex_call, request_deserializer=output, response_serializer=serialize
            ),
            "HalfDuplexCall": grpc.stream_stream_rpc_method_handler(
                half_duplex_call, request_deserializer=output, response_serializer=serialize
            ),
            # UnimplementedCall is left out on purpose: it must answer UNIMPLEMENTED.
        },
    )


def main():
    flags = common.parse_flags(sys.argv[1:], ("port", "use_tls", "host", "certs_dir"))
    if "port" not in flags:
        sys.exit("interop server: --port is required")
    host = flags.get("host", "127.0.0.1")
    use_tls = common.flag_bool(flags, "use_tls", False)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=64),
        handlers=[handlers()],
        options=[("grpc.per_message_decompression", 0)],
    )
    address = "%s:%s" % ("[%s]" % host if ":" in host else host, flags["port"])
    if use_tls:
        certs = common.read_certs(flags.get("certs_dir", common.DEFAULT_CERTS_DIR))
        port = server.add_secure_port(address, grpc.ssl_server_credentials([(certs["key"], certs["cert"])]))
    else:
        port = server.add_insecure_port(address)
    if port == 0:
        sys.exit("interop server: cannot listen on " + address)
    server.start()
    print("LISTENING %d" % port, flush=True)
    print("interop server (python grpcio %s): %s:%d%s" % (grpc.__version__, host, port, " (TLS)" if use_tls else ""),
          file=sys.stderr, flush=True)
    common.serve_until_stopped(server, grace=1, wait=5)


if __name__ == "__main__":
    main()
