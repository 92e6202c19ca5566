"""What the Python interop peers share: flags, constants (as in interop/src/constants.ts), certificates."""

import hashlib
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CERTS_DIR = os.path.normpath(os.path.join(HERE, "..", "..", ".certs"))

LARGE_REQUEST_SIZE = 271828
LARGE_RESPONSE_SIZE = 314159
STREAM_REQUEST_SIZES = (27182, 8, 1828, 45904)
STREAM_RESPONSE_SIZES = (31415, 9, 2653, 58979)
TEST_STATUS_MESSAGE = "test status message"
SPECIAL_STATUS_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
ECHO_INITIAL_KEY = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_KEY = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_VALUE = b"\xab\xab\xab"
CONCURRENT_CALLS = 1000
BULK_MESSAGES = 100
BULK_MESSAGE_SIZE = 1 << 20
BULK_FILL_KEY = "x-grpc-ts-interop-fill"
BULK_FILL_VALUE = "bulk"


def bulk_block(index):
    return hashlib.sha256(b"grpc-ts interop bulk %d" % index).digest()


def bulk_body(index, size):
    block = bulk_block(index)
    return (block * (size // len(block) + 1))[:size]


def is_gzip(data):
    """A gzip member starts with 0x1f 0x8b; a protobuf message never does (field 3, wire type 7 is invalid)."""
    return len(data) >= 2 and data[0] == 0x1F and data[1] == 0x8B


def parse_flags(argv, known):
    flags = {}
    for arg in argv:
        if not arg.startswith("--"):
            sys.exit("unexpected argument %r (flags look like --name=value)" % arg)
        name, eq, value = arg[2:].partition("=")
        if name not in known:
            sys.exit("unknown flag --%s (known: %s)" % (name, ", ".join("--" + k for k in known)))
        flags[name] = value if eq else "true"
    return flags


def flag_bool(flags, name, default):
    value = flags.get(name)
    if value is None:
        return default
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    sys.exit("--%s must be true or false, not %r" % (name, value))


def read_certs(directory):
    out = {}
    for key, name in (("ca", "ca.pem"), ("cert", "server1.pem"), ("key", "server1.key")):
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as f:
                out[key] = f.read()
        except OSError as e:
            sys.exit("cannot read %s: %s (the interop server or the matrix makes it)" % (path, e))
    return out


def serve_until_stopped(server, grace=0.5, wait=2):
    """Blocks until SIGTERM or SIGINT, then stops the started server (grace seconds for its calls)."""
    stopped = threading.Event()

    def stop(_signum, _frame):
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopped.wait(1):
        pass
    server.stop(grace).wait(wait)


def listen(server, name, host="127.0.0.1", port=0):
    """Binds the server to host:port (plaintext), starts it and prints LISTENING <port>; exits if it cannot bind."""
    bound = server.add_insecure_port("%s:%d" % (host, port))
    if bound == 0:
        sys.exit("%s: cannot bind %s:%d" % (name, host, port))
    server.start()
    print("LISTENING %d" % bound, flush=True)
    return bound
