#!/usr/bin/python3
"""An HTTP/2 client independent of grpc-ts, for conformance tests of its server engine.

Frames are built with hyperframe and header blocks with hpack (Debian's python3-hyperframe and
python3-hpack), or octet by octet where a frame must be malformed; what the server sends back is
parsed with hyperframe and hpack as well. Nothing here comes from our TypeScript code.

Input (stdin), JSON:
  {"host": "127.0.0.1", "port": 1234, "timeout": 5.0, "mode": "frames", "cases": [CASE, ...]}
  CASE = {"name": str, "steps": [STEP, ...], "finalSync": true, "keepData": true,
          "tls": {"ca": PEM, "serverName": str, "alpn": [str, ...]} (TLS instead of plain TCP),
          "answerPings": true (PINGs from the server are answered at once; else by "ack_pings")}
Output (stdout): a JSON array, one RESULT per case, in order:
  {"name", "frames": [FRAME, ...], "goaway": {"lastStreamId", "code", "debug"} | null,
   "resets": [[streamId, code], ...], "closed": bool, "synced": bool, "timeouts": [stepIndex, ...],
   "violations": [str, ...], "error": str | null, "tableMaxSize": int,
   "http1Status": the status line of an HTTP/1.x answer instead of frames, or null,
   "tls": {"alpn", "version", "compression", "cipher"} of a TLS case, or null}

Each case runs on a new TCP connection. STEP is an object with "op":
  preface            the client connection preface ("hex" to send other octets instead)
  hello              preface, SETTINGS ("settings": [[id, value], ...]), and, once the server's
                     SETTINGS arrive, their ACK
  settings           SETTINGS with "settings" ([[id, value], ...]) or "ack": true
  headers            HEADERS on "stream": "headers" ([[name, value], ...], encoded with this
                     connection's hpack Encoder; "sensitive": [names] never indexed) or "block"
                     (hex, sent as is); "huffman" (default true), "blockPrefix"/"blockSuffix" (hex
                     put around the encoded block); "endStream", "endHeaders" (default true), "padLength",
                     "priority" ({"dependsOn", "weight", "exclusive"}), "flags" (extra flag bits)
  continuation       CONTINUATION on "stream" with "headers" or "block", "endHeaders" (default true)
  data               DATA on "stream": "hex" or "size" (that many zero octets), "endStream",
                     "padLength", cut into frames of at most "frameSize" (default 16384) octets
  priority           PRIORITY on "stream": "dependsOn", "weight", "exclusive"
  rst                RST_STREAM on "stream" with "code"
  ping               PING with "hex" (8 octets), "ack"
  goaway             GOAWAY with "lastStreamId", "code"
  window_update      WINDOW_UPDATE on "stream" with "increment"
  raw                a frame octet by octet: "type", "flags", "stream", "payload" (hex); "length"
                     overrides the length field; "reserved": true sets the reserved bit
  bytes              "hex" as is; "split": true writes one octet per send
  sync               a PING of our own, then reads until its ACK (or the connection's end)
  wait               reads until a frame matches: "type" (e.g. "HEADERS"), "stream", "endStream";
                     or "dataAtLeast" octets of DATA on "stream"
  ack_pings          answers the server's PINGs received so far
  encoder_table_size the hpack Encoder's table size ("size"), signalled in its next block
Unless "finalSync" is false, a case ends with a sync. The server's frames are checked as they
arrive (violations): frame sizes against our SETTINGS_MAX_FRAME_SIZE, parse errors, DATA beyond
the flow-control windows we granted, header blocks interleaved with other frames, PUSH_PROMISE,
anything after a GOAWAY with an error code, and a GOAWAY whose last stream id grew.

Mode "h2" drives h2's own H2Connection as a well-behaved client instead (see run_h2).
"""

import json
import select
import socket
import ssl
import struct
import sys
import time

import hpack
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_WINDOW = 65535
FRAME_NAMES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS", 5: "PUSH_PROMISE",
               6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE", 9: "CONTINUATION"}
SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5


class Closed(Exception):
    """The server closed the connection."""


class Probe:
    def __init__(self, host, port, timeout, keep_data, answer_pings, tls=None):
        self.timeout = timeout
        self.keep_data = keep_data
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tls_info = None
        if tls is not None:
            # TLS with ALPN (§3.2): the handshake blocking, then the same non-blocking loop
            context = ssl.create_default_context(cadata=tls["ca"])
            context.set_alpn_protocols(tls.get("alpn", ["h2"]))
            self.sock = context.wrap_socket(self.sock, server_hostname=tls["serverName"])
            self.tls_info = {"alpn": self.sock.selected_alpn_protocol(), "version": self.sock.version(),
                             "compression": self.sock.compression(), "cipher": self.sock.cipher()[0]}
        self.sock.setblocking(False)
        self.inbuf = bytearray()
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder(max_header_list_size=1 << 20)
        self.frames = []
        self.violations = []
        self.goaway = None
        self.resets = []
        self.closed = False
        self.write_failed = False
        self.ping_counter = 0
        # a header block being received: (stream id, flags of the HEADERS, fragments)
        self.block = None
        # flow control of what the server sends: our windows for it
        self.max_frame_size = 16384
        self.initial_window = DEFAULT_WINDOW
        self.pending_initial = []  # INITIAL_WINDOW_SIZE values sent, not yet acknowledged
        self.pending_table_size = []
        self.conn_window = DEFAULT_WINDOW
        self.stream_received = {}
        self.stream_granted = {}
        self.data_received = {}
        self.server_settings_seen = False
        self.http1_status = None
        self.answer_pings = answer_pings
        self.server_pings = []

    # ---- sending ----

    def send(self, data):
        if self.closed or self.write_failed:
            return
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while len(view) > 0:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                # The server is not reading: read what it says meanwhile, then wait to write.
                self.read_available(0)
                if self.closed:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the server does not read")
                select.select([self.sock], [self.sock], [], min(left, 0.05))
            except (BrokenPipeError, ConnectionResetError):
                self.write_failed = True
                return

    def send_frame(self, frame):
        self.send(frame.serialize())

    # ---- receiving ----

    def read_available(self, wait):
        """Reads what has arrived (waiting up to `wait` seconds for something), parses frames."""
        if self.closed:
            return
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0
        ready, _, _ = select.select([self.sock], [], [], 0 if pending else wait)
        if not ready and not pending:
            return
        while True:
            try:
                chunk = self.sock.recv(1 << 16)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                break
            self.inbuf += chunk
        self.parse_frames()

    def parse_frames(self):
        if not self.frames and self.inbuf.startswith(b"HTTP/1."):
            # Not HTTP/2 at all: an HTTP/1.x answer (to a preface that was not HTTP/2's)
            self.http1_status = bytes(self.inbuf.split(b"\r\n", 1)[0]).decode("latin-1")
            self.inbuf.clear()
            return
        while len(self.inbuf) >= 9:
            length = int.from_bytes(self.inbuf[0:3], "big")
            if length > self.max_frame_size:
                self.violations.append(
                    "frame of %d octets exceeds our SETTINGS_MAX_FRAME_SIZE %d" % (length, self.max_frame_size)
                )
            if len(self.inbuf) < 9 + length:
                return
            header = bytes(self.inbuf[0:9])
            body = bytes(self.inbuf[9 : 9 + length])
            del self.inbuf[0 : 9 + length]
            try:
                frame, _ = Frame.parse_frame_header(memoryview(header))
                frame.parse_body(memoryview(body))
            except Exception as e:  # hyperframe rejects the frame
                self.violations.append("unparsable frame %s: %s" % (header.hex(), e))
                continue
            self.on_frame(frame, length)

    def on_frame(self, frame, length):
        kind = frame.type
        if self.goaway is not None and self.goaway["code"] != 0:
            self.violations.append("%s after GOAWAY with an error" % type(frame).__name__)
        if not self.server_settings_seen and not isinstance(frame, SettingsFrame):
            self.violations.append("the server's first frame is %s, not SETTINGS" % type(frame).__name__)
        if self.block is not None and not isinstance(frame, ContinuationFrame):
            self.violations.append("a header block is interrupted by %s" % type(frame).__name__)
            self.block = None
        record = {"type": FRAME_NAMES.get(kind, "0x%02x" % kind), "stream": frame.stream_id,
                  "flags": sorted(frame.flags), "length": length}
        if isinstance(frame, SettingsFrame):
            if "ACK" in frame.flags:
                record["type"] = "SETTINGS_ACK"
                if self.pending_initial:
                    self.apply_initial_window(self.pending_initial.pop(0))
                if self.pending_table_size:
                    size = self.pending_table_size.pop(0)
                    if size is not None:
                        self.decoder.max_allowed_table_size = size
            else:
                self.server_settings_seen = True
                record["settings"] = [[k, v] for k, v in frame.settings.items()]
        elif isinstance(frame, HeadersFrame):
            self.block = (frame.stream_id, set(frame.flags), [frame.data])
            record["type"] = "HEADERS_FRAGMENT"
            if "END_HEADERS" in frame.flags:
                record = self.end_block(record)
            else:
                self.frames.append(record)
                return
        elif isinstance(frame, ContinuationFrame):
            if self.block is None or self.block[0] != frame.stream_id:
                self.violations.append("CONTINUATION without its HEADERS on stream %d" % frame.stream_id)
                return
            self.block[2].append(frame.data)
            if "END_HEADERS" not in frame.flags:
                return
            record = self.end_block(record)
        elif isinstance(frame, DataFrame):
            self.account_data(frame.stream_id, length)
            record["size"] = len(frame.data)
            self.data_received[frame.stream_id] = self.data_received.get(frame.stream_id, 0) + len(frame.data)
            if self.keep_data:
                record["hex"] = frame.data.hex()
        elif isinstance(frame, RstStreamFrame):
            record["code"] = frame.error_code
            self.resets.append([frame.stream_id, frame.error_code])
        elif isinstance(frame, GoAwayFrame):
            if self.goaway is not None and frame.last_stream_id > self.goaway["lastStreamId"]:
                self.violations.append("GOAWAY's last stream id grew from %d to %d"
                                       % (self.goaway["lastStreamId"], frame.last_stream_id))
            record["lastStreamId"] = frame.last_stream_id
            record["code"] = frame.error_code
            record["debug"] = frame.additional_data.decode("latin-1")
            self.goaway = {"lastStreamId": frame.last_stream_id, "code": frame.error_code,
                           "debug": record["debug"]}
        elif isinstance(frame, PingFrame):
            record["hex"] = frame.opaque_data.hex()
            if "ACK" not in frame.flags:
                self.server_pings.append(frame.opaque_data)
                if self.answer_pings:
                    self.ack_pings()
        elif isinstance(frame, WindowUpdateFrame):
            record["increment"] = frame.window_increment
        elif kind == 0x5:
            self.violations.append("PUSH_PROMISE from the server")
        self.frames.append(record)

    def end_block(self, record):
        stream, flags, fragments = self.block
        self.block = None
        record["type"] = "HEADERS"
        record["stream"] = stream
        record["flags"] = sorted(f for f in flags if f in ("END_STREAM", "END_HEADERS")) + (
            [] if "END_HEADERS" in flags else ["END_HEADERS"]
        )
        try:
            fields = self.decoder.decode(b"".join(fragments), raw=True)
            record["headers"] = [[n.decode("latin-1"), v.decode("latin-1")] for n, v in fields]
        except Exception as e:
            self.violations.append("undecodable header block on stream %d: %s" % (stream, e))
            record["headers"] = None
        return record

    def apply_initial_window(self, value):
        self.initial_window = value

    def account_data(self, stream, length):
        """DATA from the server must fit the windows we granted (§6.9)."""
        self.conn_window -= length
        if self.conn_window < 0:
            self.violations.append("DATA beyond the connection window (%d)" % self.conn_window)
        received = self.stream_received.get(stream, 0) + length
        self.stream_received[stream] = received
        # While a new SETTINGS_INITIAL_WINDOW_SIZE is unacknowledged, either value may apply.
        initial = max([self.initial_window] + self.pending_initial)
        if received > initial + self.stream_granted.get(stream, 0):
            self.violations.append(
                "DATA beyond the window of stream %d (%d octets received, %d granted)"
                % (stream, received, initial + self.stream_granted.get(stream, 0))
            )

    def ack_pings(self):
        """Answers the server's PINGs received so far (§6.7)."""
        pings, self.server_pings = self.server_pings, []
        for payload in pings:
            frame = PingFrame(0, opaque_data=payload)
            frame.flags.add("ACK")
            self.send_frame(frame)

    # ---- steps ----

    def wait_until(self, done):
        deadline = time.monotonic() + self.timeout
        while not done():
            if self.closed:
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.read_available(min(left, 0.5))
        return True

    def sync(self):
        self.ping_counter += 1
        payload = b"sync" + struct.pack(">I", self.ping_counter)
        self.send_frame(PingFrame(0, opaque_data=payload))
        if self.write_failed:
            self.wait_until(lambda: self.closed)
            return False
        return self.wait_until(
            lambda: any(f["type"] == "PING" and "ACK" in f["flags"] and f["hex"] == payload.hex() for f in self.frames)
        )

    def settings_frame(self, params, ack=False):
        frame = SettingsFrame(0)
        if ack:
            frame.flags.add("ACK")
            return frame
        for key, value in params:
            frame.settings[key] = value
            if key == SETTINGS_INITIAL_WINDOW_SIZE:
                self.pending_initial.append(value)
            if key == SETTINGS_MAX_FRAME_SIZE and 16384 <= value <= 16777215:
                self.max_frame_size = max(self.max_frame_size, value)
        sizes = [v for k, v in params if k == SETTINGS_HEADER_TABLE_SIZE]
        self.pending_table_size.append(sizes[-1] if sizes else None)
        return frame

    def block_of(self, step):
        if "block" in step:
            return bytes.fromhex(step["block"])
        sensitive = set(step.get("sensitive", []))
        fields = []
        for name, value in step["headers"]:
            if name in sensitive:
                fields.append(hpack.NeverIndexedHeaderTuple(name.encode("latin-1"), value.encode("latin-1")))
            else:
                fields.append((name.encode("latin-1"), value.encode("latin-1")))
        prefix = bytes.fromhex(step.get("blockPrefix", ""))
        suffix = bytes.fromhex(step.get("blockSuffix", ""))
        return prefix + self.encoder.encode(fields, huffman=step.get("huffman", True)) + suffix

    def step(self, step):
        op = step["op"]
        if op == "preface":
            self.send(bytes.fromhex(step["hex"]) if "hex" in step else PREFACE)
        elif op == "hello":
            self.send(PREFACE + self.settings_frame(step.get("settings", [])).serialize())
            if self.wait_until(lambda: self.server_settings_seen):
                self.send_frame(self.settings_frame([], ack=True))
        elif op == "settings":
            self.send_frame(self.settings_frame(step.get("settings", []), step.get("ack", False)))
        elif op == "headers":
            frame = HeadersFrame(step["stream"], data=self.block_of(step))
            if step.get("endStream"):
                frame.flags.add("END_STREAM")
            if step.get("endHeaders", True):
                frame.flags.add("END_HEADERS")
            if "padLength" in step:
                frame.flags.add("PADDED")
                frame.pad_length = step["padLength"]
            if "priority" in step:
                p = step["priority"]
                frame.flags.add("PRIORITY")
                frame.depends_on = p.get("dependsOn", 0)
                frame.stream_weight = p.get("weight", 15)
                frame.exclusive = p.get("exclusive", False)
            octets = bytearray(frame.serialize())
            octets[4] |= step.get("flags", 0)
            self.send(bytes(octets))
        elif op == "continuation":
            frame = ContinuationFrame(step["stream"], data=self.block_of(step))
            if step.get("endHeaders", True):
                frame.flags.add("END_HEADERS")
            self.send_frame(frame)
        elif op == "data":
            # cut into frames of at most "frameSize" octets (default 16384; the last has END_STREAM)
            payload = bytes.fromhex(step["hex"]) if "hex" in step else bytes(step.get("size", 0))
            size = step.get("frameSize", 16384)
            pieces = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
            for i, piece in enumerate(pieces):
                frame = DataFrame(step["stream"], data=piece)
                if step.get("endStream") and i == len(pieces) - 1:
                    frame.flags.add("END_STREAM")
                if "padLength" in step:
                    frame.flags.add("PADDED")
                    frame.pad_length = step["padLength"]
                self.send_frame(frame)
        elif op == "priority":
            self.send_frame(PriorityFrame(step["stream"], depends_on=step.get("dependsOn", 0),
                                          stream_weight=step.get("weight", 15),
                                          exclusive=step.get("exclusive", False)))
        elif op == "rst":
            self.send_frame(RstStreamFrame(step["stream"], error_code=step.get("code", 0)))
        elif op == "ping":
            frame = PingFrame(0, opaque_data=bytes.fromhex(step.get("hex", "0000000000000000")))
            if step.get("ack"):
                frame.flags.add("ACK")
            self.send_frame(frame)
        elif op == "goaway":
            self.send_frame(GoAwayFrame(0, last_stream_id=step.get("lastStreamId", 0),
                                        error_code=step.get("code", 0)))
        elif op == "window_update":
            stream = step["stream"]
            increment = step["increment"]
            if stream == 0:
                self.conn_window += increment
            else:
                self.stream_granted[stream] = self.stream_granted.get(stream, 0) + increment
            self.send_frame(WindowUpdateFrame(stream, window_increment=increment))
        elif op == "raw":
            payload = bytes.fromhex(step.get("payload", ""))
            length = step.get("length", len(payload))
            stream = step.get("stream", 0) | (0x80000000 if step.get("reserved") else 0)
            header = struct.pack(">I", length)[1:] + struct.pack(">BBI", step["type"], step.get("flags", 0), stream)
            self.send(header + payload)
        elif op == "bytes":
            octets = bytes.fromhex(step["hex"])
            if step.get("split"):
                for i in range(len(octets)):
                    self.send(octets[i : i + 1])
                    time.sleep(0.001)
            else:
                self.send(octets)
        elif op == "sync":
            return self.sync()
        elif op == "wait":
            return self.wait_until(lambda: self.matches(step))
        elif op == "ack_pings":
            self.ack_pings()
        elif op == "encoder_table_size":
            self.encoder.header_table_size = step["size"]
        else:
            raise ValueError("unknown op %r" % op)
        return True

    def matches(self, step):
        if "dataAtLeast" in step:
            return self.data_received.get(step["stream"], 0) >= step["dataAtLeast"]
        for f in self.frames:
            if f["type"] != step["type"]:
                continue
            if "stream" in step and f["stream"] != step["stream"]:
                continue
            if step.get("endStream") and "END_STREAM" not in f["flags"]:
                continue
            return True
        return False


def run_case(job, case):
    result = {"name": case["name"], "frames": [], "goaway": None, "resets": [], "closed": False,
              "synced": False, "timeouts": [], "violations": [], "error": None, "tableMaxSize": None, "http1Status": None}
    probe = None
    try:
        probe = Probe(job["host"], job["port"], job.get("timeout", 5.0), case.get("keepData", True),
                      case.get("answerPings", True), case.get("tls"))
        for i, step in enumerate(case["steps"]):
            if not probe.step(step):
                result["timeouts"].append(i)
        if case.get("finalSync", True):
            result["synced"] = probe.sync()
        else:
            probe.read_available(0)
        if probe.goaway is not None and not probe.closed:
            # After GOAWAY for an error the server closes: wait for that (bounded).
            probe.wait_until(lambda: False)
    except Exception as e:
        result["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if probe is not None:
            result["frames"] = probe.frames
            result["goaway"] = probe.goaway
            result["resets"] = probe.resets
            result["closed"] = probe.closed
            result["violations"] = probe.violations
            result["tableMaxSize"] = probe.decoder.header_table.maxsize
            result["http1Status"] = probe.http1_status
            result["tls"] = probe.tls_info
            probe.sock.close()
    return result


# ---- mode "h2": h2's own client ----


def run_h2(job):
    """h2's H2Connection as a well-behaved client: the calls of the job, concurrently on one
    connection, each request body sent as flow control allows, received data acknowledged.

    job: {"host", "port", "timeout", "settings": {name: value}, "calls": [CALL, ...]}
    CALL: {"path", "body": hex, "chunk": octets per DATA frame (default: as large as allowed),
           "metadata": [[name, value], ...]}
    Output: {"calls": [{"headers", "trailers", "data": hex, "reset": code | null}], "error",
             "windowUpdatesReceived": int, "framesSent": int}
    """
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings

    config = h2.config.H2Configuration(client_side=True, header_encoding=None)
    conn = h2.connection.H2Connection(config=config)
    local = {}
    for name, value in job.get("settings", {}).items():
        local[getattr(h2.settings.SettingCodes, name)] = value
    conn.initiate_connection()
    if local:
        conn.update_settings(local)
    sock = socket.create_connection((job["host"], job["port"]), timeout=job.get("timeout", 10.0))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    deadline = time.monotonic() + job.get("timeout", 10.0)
    calls = []
    out = {"calls": [], "error": None, "windowUpdatesReceived": 0}
    try:
        for spec in job["calls"]:
            stream_id = conn.get_next_available_stream_id()
            headers = [(b":method", b"POST"), (b":scheme", b"http"), (b":path", spec["path"].encode()),
                       (b":authority", ("%s:%d" % (job["host"], job["port"])).encode()),
                       (b"content-type", b"application/grpc"), (b"te", b"trailers")]
            headers += [(n.encode(), v.encode()) for n, v in spec.get("metadata", [])]
            conn.send_headers(stream_id, headers)
            calls.append({"id": stream_id, "body": bytes.fromhex(spec["body"]), "sent": 0,
                          "chunk": spec.get("chunk", 1 << 24), "ended": False, "headers": None,
                          "trailers": None, "data": bytearray(), "reset": None, "done": False})
        by_id = {c["id"]: c for c in calls}
        while not all(c["done"] for c in calls):
            # send what the windows allow
            for c in calls:
                if c["ended"] or c["done"]:
                    continue
                while c["sent"] < len(c["body"]):
                    room = min(conn.local_flow_control_window(c["id"]), conn.max_outbound_frame_size,
                               c["chunk"], len(c["body"]) - c["sent"])
                    if room <= 0:
                        break
                    conn.send_data(c["id"], c["body"][c["sent"] : c["sent"] + room])
                    c["sent"] += room
                if c["sent"] == len(c["body"]):
                    conn.end_stream(c["id"])
                    c["ended"] = True
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("calls not done in time")
            sock.settimeout(left)
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            for event in conn.receive_data(chunk):
                c = by_id.get(getattr(event, "stream_id", 0))
                if isinstance(event, h2.events.ResponseReceived):
                    c["headers"] = [[n.decode("latin-1"), v.decode("latin-1")] for n, v in event.headers]
                elif isinstance(event, h2.events.DataReceived):
                    c["data"] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    c["trailers"] = [[n.decode("latin-1"), v.decode("latin-1")] for n, v in event.headers]
                elif isinstance(event, h2.events.StreamEnded):
                    c["done"] = True
                elif isinstance(event, h2.events.StreamReset):
                    c["reset"] = event.error_code
                    c["done"] = True
                elif isinstance(event, h2.events.WindowUpdated):
                    out["windowUpdatesReceived"] += 1
                elif isinstance(event, h2.events.ConnectionTerminated):
                    raise ConnectionError("GOAWAY %s" % event.error_code)
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)
        conn.close_connection()
        sock.sendall(conn.data_to_send())
    except Exception as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        sock.close()
    for c in calls:
        out["calls"].append({"headers": c["headers"], "trailers": c["trailers"], "data": c["data"].hex(),
                             "reset": c["reset"]})
    return out


def main():
    job = json.load(sys.stdin)
    if job.get("mode") == "h2":
        json.dump(run_h2(job), sys.stdout)
        return
    results = [run_case(job, case) for case in job["cases"]]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
