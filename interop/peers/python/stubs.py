"""Generates and imports the Python stubs of the interop protos (`load`), and of the tests' Echo
service (`load_echo`, from packages/testing/src/proto/echo.proto).

The protos come from Debian's grpc-proto (/usr/share/grpc-proto, or $GRPC_PROTO_DIR). A Python
package named `grpc.testing` would collide with the `grpc` runtime package, so the files are copied
under the package name `grpcts_interop` with their imports rewritten; the proto package (and so
every wire name, /grpc.testing.TestService/...) is unchanged. Generation uses Debian's
python3-grpc-tools (`python3 -m grpc_tools.protoc`, an old protoc 3.5 whose output works with the
installed runtime) and writes to a fresh temporary folder, removed at exit.
"""

import atexit
import importlib
import os
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "grpcts_interop"
FILES = ("empty", "messages", "test")


def load():
    """Returns (empty_pb2, messages_pb2, test_pb2, test_pb2_grpc)."""
    proto_root = os.environ.get("GRPC_PROTO_DIR", "/usr/share/grpc-proto")
    source = os.path.join(proto_root, "grpc", "testing")
    for name in FILES:
        path = os.path.join(source, name + ".proto")
        if not os.path.exists(path):
            sys.exit(
                "interop peer: %s not found; install Debian's grpc-proto (apt-get install grpc-proto)" % path
            )
    work = tempfile.mkdtemp(prefix="grpc-ts-interop-py-")
    atexit.register(shutil.rmtree, work, True)
    proto_dir = os.path.join(work, "proto")
    out_dir = os.path.join(work, "out")
    os.makedirs(os.path.join(proto_dir, PACKAGE))
    os.makedirs(os.path.join(out_dir, PACKAGE))
    for name in FILES:
        with open(os.path.join(source, name + ".proto"), encoding="utf-8") as f:
            text = f.read()
        text = text.replace('import "grpc/testing/', 'import "%s/' % PACKAGE)
        with open(os.path.join(proto_dir, PACKAGE, name + ".proto"), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(out_dir, PACKAGE, "__init__.py"), "w", encoding="utf-8"):
        pass
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I" + proto_dir,
        "--python_out=" + out_dir,
        "--grpc_python_out=" + out_dir,
    ] + [os.path.join(proto_dir, PACKAGE, name + ".proto") for name in FILES]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        sys.exit("interop peer: grpc_tools.protoc failed: " + done.stderr)
    sys.path.insert(0, out_dir)
    empty_pb2 = importlib.import_module(PACKAGE + ".empty_pb2")
    messages_pb2 = importlib.import_module(PACKAGE + ".messages_pb2")
    test_pb2 = importlib.import_module(PACKAGE + ".test_pb2")
    test_pb2_grpc = importlib.import_module(PACKAGE + ".test_pb2_grpc")
    return empty_pb2, messages_pb2, test_pb2, test_pb2_grpc


ECHO_PROTO_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "packages", "testing", "src", "proto")
)


def load_echo():
    """Returns (echo_pb2, echo_pb2_grpc), generated from the tests' echo.proto into a temporary folder."""
    out_dir = tempfile.mkdtemp(prefix="grpc-ts-echo-py-")
    atexit.register(shutil.rmtree, out_dir, True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        "-I" + ECHO_PROTO_DIR,
        "--python_out=" + out_dir,
        "--grpc_python_out=" + out_dir,
        os.path.join(ECHO_PROTO_DIR, "echo.proto"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        sys.exit("interop peer: grpc_tools.protoc failed: " + done.stderr)
    sys.path.insert(0, out_dir)
    return importlib.import_module("echo_pb2"), importlib.import_module("echo_pb2_grpc")
