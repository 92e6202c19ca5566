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

/**
 * The cases of one section as tables, each row one case run by `probeCases`:
 * - `wellFormed`: [name, steps]: answered (a whole response on stream 1);
 * - `malformed`: [what, steps]: a stream error PROTOCOL_ERROR on stream 1, never reaching the
 *   application, named "<what>: PROTOCOL_ERROR";
 * - `pairs`: [what, good fields, bad fields]: a well-formed request answered, and the same request
 *   made malformed refused.
 */
interface Section {
  readonly wellFormed?: readonly (readonly [name: string, steps: Step[]])[];
  readonly malformed?: readonly (readonly [what: string, steps: Step[]])[];
  readonly pairs?: readonly (readonly [what: string, good: Fields, bad: Fields])[];
  /** Cases of another shape. */
  readonly other?: readonly Case[];
}

function casesOf(section: Section): Case[] {
  return [
    ...(section.pairs ?? []).flatMap(([what, good, bad]): Case[] => [
      { name: `${what}: well-formed, answered`, steps: [hello(), ...request(good)], expect: answered(1) },
      { name: `${what}: malformed, PROTOCOL_ERROR`, steps: only(bad), expect: malformed(1) },
    ]),
    ...(section.wellFormed ?? []).map(([name, steps]): Case => ({ name, steps, expect: answered(1) })),
    ...(section.malformed ?? []).map(
      ([what, steps]): Case => ({ name: `${what}: PROTOCOL_ERROR`, steps, expect: malformed(1) }),
    ),
    ...(section.other ?? []),
  ];
}

/** A client-streaming request's HEADERS and one message, then the given trailers. */
const withTrailers = (trailers: Fields, endStream: boolean): Step[] => [
  hello(),
  headers(1, grpcFields(GRPC_CLIENT_STREAM)),
  data(1, MESSAGE),
  headers(1, trailers, endStream ? { endStream: true } : {}),
];

/** HEADERS with a content-length, then the whole message with END_STREAM. */
const withLength = (length: number): Step[] => [
  hello(),
  headers(1, base(["content-length", String(length)])),
  data(1, MESSAGE, { endStream: true }),
];

describe("RFC 9113 §8 HTTP semantics on the grpc-ts engine (h2-probe.py)", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({ server: { engine } });
  });
  after(() => server.close());
  const port = () => server.port;
  /** The message's length in octets (MESSAGE is hex). */
  const length = MESSAGE.length / 2;

  describe("§8.1 message framing, trailers, content-length", () => {
    probeCases(
      port,
      casesOf({
        wellFormed: [
          [
            "a request with trailers (HEADERS, DATA, HEADERS with END_STREAM) is answered",
            [...withTrailers([["x-trailer", "t"]], true), waitFor("HEADERS", 1, true)],
          ],
          [
            "content-length equal to the DATA received is fine",
            [hello(), ...request(base(["content-length", String(length)]))],
          ],
        ],
        malformed: [
          ["trailers without END_STREAM", withTrailers([["x-t", "1"]], false)],
          ["a pseudo-header in trailers", withTrailers([[":path", "/x"]], true)],
          ["an uppercase name in trailers", withTrailers([["X-Trailer", "1"]], true)],
          ["content-length larger than the DATA received", withLength(length + 1)],
          ["content-length smaller than the DATA received", withLength(length - 1)],
          [
            "content-length larger than the DATA before trailers",
            [
              hello(),
              headers(1, base(["content-length", "1000"])),
              data(1, MESSAGE),
              headers(1, [["x-t", "1"]], { endStream: true }),
            ],
          ],
          ["content-length > 0 on HEADERS with END_STREAM", only(base(["content-length", "10"]))],
          ["content-length that is not a number", only(base(["content-length", "1x"]))],
          [
            "two different content-length fields",
            only(base(["content-length", "0"], ["content-length", "5"])),
          ],
        ],
        other: [
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
        ],
      }),
    );
  });

  describe("§8.2 field validity and connection-specific fields", () => {
    probeCases(
      port,
      casesOf({
        pairs: [
          ["a field name", base(["x-lower", "1"]), base(["X-Upper", "1"])],
          ["a field value", base(["x-v", "a b\tc"]), base(["x-v", "a\nb"])],
          [
            "a connection-specific field",
            base(["x-connection", "close"]),
            base(["connection", "keep-alive"]),
          ],
          ["te", base(), [...without("te"), ["te", "gzip"]]],
        ],
        malformed: [
          ["a field name with a space", only(base(["x y", "1"]))],
          ["a field name with DEL (0x7f)", only(base(["x\x7f", "1"]))],
          ["a field name with a non-ASCII octet", only(base(["x\xe9", "1"]))],
          ["a field name with a colon inside", only(base(["x:y", "1"]))],
          ["an empty field name", only(base(["", "1"]))],
          ["a field value with CR", only(base(["x-v", "a\rb"]))],
          ["a field value with NUL", only(base(["x-v", "a\x00b"]))],
          ["a field value with leading space", only(base(["x-v", " a"]))],
          ["a field value with trailing tab", only(base(["x-v", "a\t"]))],
          ["keep-alive", only(base(["keep-alive", "timeout=5"]))],
          ["proxy-connection", only(base(["proxy-connection", "keep-alive"]))],
          ["transfer-encoding", only(base(["transfer-encoding", "chunked"]))],
          ["upgrade", only(base(["upgrade", "h2c"]))],
          ["te: trailers, gzip", only([...without("te"), ["te", "trailers, gzip"]])],
        ],
        wellFormed: [
          [
            "several cookie fields are fine (§8.2.3)",
            [hello(), ...request(base(["cookie", "a=1"], ["cookie", "b=2"]))],
          ],
        ],
      }),
    );
  });

  describe("§8.3 pseudo-header fields", () => {
    const reordered: Fields = [
      [":path", GRPC_UNARY],
      [":authority", "localhost"],
      [":scheme", "http"],
      [":method", "POST"],
      ["content-type", "application/grpc"],
    ];
    probeCases(
      port,
      casesOf({
        wellFormed: [
          [
            "pseudo-headers in any order before the regular fields are fine",
            [hello(), ...request(reordered)],
          ],
          ["no :authority (it is optional) is fine", [hello(), ...request(without(":authority"))]],
        ],
        malformed: [
          ["missing :method", only(without(":method"))],
          ["missing :scheme", only(without(":scheme"))],
          ["missing :path", only(without(":path"))],
          ["empty :path", only(([...without(":path"), [":path", ""]] as Fields).sort(pseudoFirst))],
          ["duplicate :method", only([[":method", "POST"], ...grpcFields()])],
          ["duplicate :scheme", only([[":scheme", "https"], ...grpcFields()])],
          ["duplicate :path", only([[":path", GRPC_UNARY], ...grpcFields()])],
          ["duplicate :authority", only([[":authority", "other"], ...grpcFields()])],
          ["an unknown pseudo-header", only([[":foo", "bar"], ...grpcFields()])],
          ["a response pseudo-header (:status) in a request", only([[":status", "200"], ...grpcFields()])],
          ["a pseudo-header after a regular field", only([...without(":path"), [":path", GRPC_UNARY]])],
          [
            "CONNECT with :scheme and :path",
            only([
              [":method", "CONNECT"],
              [":scheme", "http"],
              [":path", "/"],
              [":authority", "example.com:443"],
            ]),
          ],
          ["CONNECT without :authority", only([[":method", "CONNECT"]])],
        ],
      }),
    );
  });
});

/** Sorts pseudo-header fields before regular ones, keeping their order otherwise. */
function pseudoFirst(a: [string, string], b: [string, string]): number {
  return Number(!a[0].startsWith(":")) - Number(!b[0].startsWith(":"));
}
