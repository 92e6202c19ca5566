/**
 * RFC 9113 §8 (HTTP semantics) against our engine over a real socket: message framing, field
 * validity, connection-specific fields, pseudo-headers and content-length. A malformed request is
 * a stream error PROTOCOL_ERROR and never reaches the application (§8.1.1); each malformed case has
 * a well-formed neighbour that is answered. Header blocks are encoded by Python's hpack.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { PYTHON_H2, type ServerHandle, skipWithout, startServer } from "@grpc-ts/testing";
import {
  accepted,
  all,
  answered,
  type Case,
  data,
  type Fields,
  framesOf,
  GRPC_CLIENT_STREAM,
  GRPC_UNARY,
  grpcFields,
  grpcMessage,
  headers,
  hello,
  malformed,
  probeCases,
  type Step,
  waitFor,
} from "./probe.js";

const engine = "grpc-ts" as const;
const MESSAGE = grpcMessage({ message: "http" });

/** A unary request whose header section is `fields`: HEADERS, then a message with END_STREAM. */
function request(fields: Fields, stream = 1): Step[] {
  return [
    headers(stream, fields),
    data(stream, MESSAGE, { endStream: true }),
    waitFor("HEADERS", stream, true),
  ];
}

/** The header section of a request as one HEADERS with END_STREAM (malformed ones need no body). */
function only(fields: Fields): Step[] {
  return [hello(), headers(1, fields, { endStream: true })];
}

const base = (...extra: Fields) => grpcFields(GRPC_UNARY, extra);
const without = (name: string) => grpcFields().filter(([n]) => n !== name);

/** A well-formed request with `extra` fields, answered; and the same request made malformed. */
function pair(what: string, good: Fields, bad: Fields): Case[] {
  return [
    { name: `${what}: well-formed, answered`, steps: [hello(), ...request(good)], expect: answered(1) },
    { name: `${what}: malformed, PROTOCOL_ERROR`, steps: only(bad), expect: malformed(1) },
  ];
}

describe("RFC 9113 §8 HTTP semantics on the grpc-ts engine (h2-probe.py)", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());
  const port = () => server.port;

  describe("§8.1 message framing, trailers, content-length", () => {
    probeCases(port, [
      {
        name: "a request with trailers (HEADERS, DATA, HEADERS with END_STREAM) is answered",
        steps: [
          hello(),
          headers(1, grpcFields()),
          data(1, MESSAGE),
          headers(1, [["x-trailer", "t"]], { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        expect: answered(1),
      },
      {
        name: "trailers without END_STREAM: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, grpcFields(GRPC_CLIENT_STREAM)),
          data(1, MESSAGE),
          headers(1, [["x-t", "1"]]),
        ],
        expect: malformed(1),
      },
      {
        name: "a pseudo-header in trailers: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, grpcFields(GRPC_CLIENT_STREAM)),
          data(1, MESSAGE),
          headers(1, [[":path", "/x"]], { endStream: true }),
        ],
        expect: malformed(1),
      },
      {
        name: "an uppercase name in trailers: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, grpcFields(GRPC_CLIENT_STREAM)),
          data(1, MESSAGE),
          headers(1, [["X-Trailer", "1"]], { endStream: true }),
        ],
        expect: malformed(1),
      },
      {
        name: "content-length equal to the DATA received is fine",
        steps: [hello(), ...request(base(["content-length", String(MESSAGE.length / 2)]))],
        expect: answered(1),
      },
      {
        name: "content-length larger than the DATA received: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, base(["content-length", String(MESSAGE.length / 2 + 1)])),
          data(1, MESSAGE, { endStream: true }),
        ],
        expect: malformed(1),
      },
      {
        name: "content-length smaller than the DATA received: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, base(["content-length", String(MESSAGE.length / 2 - 1)])),
          data(1, MESSAGE, { endStream: true }),
        ],
        expect: malformed(1),
      },
      {
        name: "content-length larger than the DATA before trailers: PROTOCOL_ERROR",
        steps: [
          hello(),
          headers(1, base(["content-length", "1000"])),
          data(1, MESSAGE),
          headers(1, [["x-t", "1"]], { endStream: true }),
        ],
        expect: malformed(1),
      },
      {
        name: "content-length > 0 on HEADERS with END_STREAM: PROTOCOL_ERROR",
        steps: only(base(["content-length", "10"])),
        expect: malformed(1),
      },
      {
        name: "content-length that is not a number: PROTOCOL_ERROR",
        steps: only(base(["content-length", "1x"])),
        expect: malformed(1),
      },
      {
        name: "two different content-length fields: PROTOCOL_ERROR",
        steps: only(base(["content-length", "0"], ["content-length", "5"])),
        expect: malformed(1),
      },
      {
        name: "content-length 0 on HEADERS with END_STREAM is fine",
        steps: [
          hello(),
          headers(1, base(["content-length", "0"]), { endStream: true }),
          waitFor("HEADERS", 1, true),
        ],
        // no request message: a gRPC error status, but a whole HTTP/2 response
        expect: all(accepted(), (r) => assert.ok(framesOf(r, "HEADERS", 1).length > 0)),
      },
    ]);
  });

  describe("§8.2 field validity and connection-specific fields", () => {
    probeCases(port, [
      ...pair("a field name", base(["x-lower", "1"]), base(["X-Upper", "1"])),
      {
        name: "a field name with a space: PROTOCOL_ERROR",
        steps: only(base(["x y", "1"])),
        expect: malformed(1),
      },
      {
        name: "a field name with DEL (0x7f): PROTOCOL_ERROR",
        steps: only(base(["x\x7f", "1"])),
        expect: malformed(1),
      },
      {
        name: "a field name with a non-ASCII octet: PROTOCOL_ERROR",
        steps: only(base(["x\xe9", "1"])),
        expect: malformed(1),
      },
      {
        name: "a field name with a colon inside: PROTOCOL_ERROR",
        steps: only(base(["x:y", "1"])),
        expect: malformed(1),
      },
      { name: "an empty field name: PROTOCOL_ERROR", steps: only(base(["", "1"])), expect: malformed(1) },
      ...pair("a field value", base(["x-v", "a b\tc"]), base(["x-v", "a\nb"])),
      {
        name: "a field value with CR: PROTOCOL_ERROR",
        steps: only(base(["x-v", "a\rb"])),
        expect: malformed(1),
      },
      {
        name: "a field value with NUL: PROTOCOL_ERROR",
        steps: only(base(["x-v", "a\x00b"])),
        expect: malformed(1),
      },
      {
        name: "a field value with leading space: PROTOCOL_ERROR",
        steps: only(base(["x-v", " a"])),
        expect: malformed(1),
      },
      {
        name: "a field value with trailing tab: PROTOCOL_ERROR",
        steps: only(base(["x-v", "a\t"])),
        expect: malformed(1),
      },
      ...pair(
        "a connection-specific field",
        base(["x-connection", "close"]),
        base(["connection", "keep-alive"]),
      ),
      {
        name: "keep-alive: PROTOCOL_ERROR",
        steps: only(base(["keep-alive", "timeout=5"])),
        expect: malformed(1),
      },
      {
        name: "proxy-connection: PROTOCOL_ERROR",
        steps: only(base(["proxy-connection", "keep-alive"])),
        expect: malformed(1),
      },
      {
        name: "transfer-encoding: PROTOCOL_ERROR",
        steps: only(base(["transfer-encoding", "chunked"])),
        expect: malformed(1),
      },
      { name: "upgrade: PROTOCOL_ERROR", steps: only(base(["upgrade", "h2c"])), expect: malformed(1) },
      ...pair("te", base(), [...without("te"), ["te", "gzip"]]),
      {
        name: "te: trailers, gzip: PROTOCOL_ERROR",
        steps: only([...without("te"), ["te", "trailers, gzip"]]),
        expect: malformed(1),
      },
      {
        name: "several cookie fields are fine (§8.2.3)",
        steps: [hello(), ...request(base(["cookie", "a=1"], ["cookie", "b=2"]))],
        expect: answered(1),
      },
    ]);
  });

  describe("§8.3 pseudo-header fields", () => {
    const reordered: Fields = [
      [":path", GRPC_UNARY],
      [":authority", "localhost"],
      [":scheme", "http"],
      [":method", "POST"],
      ["content-type", "application/grpc"],
    ];
    probeCases(port, [
      {
        name: "pseudo-headers in any order before the regular fields are fine",
        steps: [hello(), ...request(reordered)],
        expect: answered(1),
      },
      {
        name: "no :authority (it is optional) is fine",
        steps: [hello(), ...request(without(":authority"))],
        expect: answered(1),
      },
      { name: "missing :method: PROTOCOL_ERROR", steps: only(without(":method")), expect: malformed(1) },
      { name: "missing :scheme: PROTOCOL_ERROR", steps: only(without(":scheme")), expect: malformed(1) },
      { name: "missing :path: PROTOCOL_ERROR", steps: only(without(":path")), expect: malformed(1) },
      {
        name: "empty :path: PROTOCOL_ERROR",
        steps: only(([...without(":path"), [":path", ""]] as Fields).sort(pseudoFirst)),
        expect: malformed(1),
      },
      {
        name: "duplicate :method: PROTOCOL_ERROR",
        steps: only([[":method", "POST"], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "duplicate :scheme: PROTOCOL_ERROR",
        steps: only([[":scheme", "https"], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "duplicate :path: PROTOCOL_ERROR",
        steps: only([[":path", GRPC_UNARY], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "duplicate :authority: PROTOCOL_ERROR",
        steps: only([[":authority", "other"], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "an unknown pseudo-header: PROTOCOL_ERROR",
        steps: only([[":foo", "bar"], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "a response pseudo-header (:status) in a request: PROTOCOL_ERROR",
        steps: only([[":status", "200"], ...grpcFields()]),
        expect: malformed(1),
      },
      {
        name: "a pseudo-header after a regular field: PROTOCOL_ERROR",
        steps: only([...without(":path"), [":path", GRPC_UNARY]]),
        expect: malformed(1),
      },
      {
        name: "CONNECT with :scheme and :path: PROTOCOL_ERROR",
        steps: only([
          [":method", "CONNECT"],
          [":scheme", "http"],
          [":path", "/"],
          [":authority", "example.com:443"],
        ]),
        expect: malformed(1),
      },
      {
        name: "CONNECT without :authority: PROTOCOL_ERROR",
        steps: only([[":method", "CONNECT"]]),
        expect: malformed(1),
      },
    ]);
  });
});

/** Sorts pseudo-header fields before regular ones, keeping their order otherwise. */
function pseudoFirst(a: [string, string], b: [string, string]): number {
  return Number(!a[0].startsWith(":")) - Number(!b[0].startsWith(":"));
}
