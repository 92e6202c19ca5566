/**
 * RFC 7541 (HPACK) through the wire against our engine: header blocks from Python's hpack encoder
 * (Huffman or not, indexed, never indexed, through evictions and table size updates) must decode
 * to the fields that were sent, which the server's handler echoes back; malformed blocks made by
 * hand (index 0 or out of range, bad Huffman, size updates misplaced or over our
 * SETTINGS_HEADER_TABLE_SIZE, truncated) are a connection error COMPRESSION_ERROR (RFC 9113 §4.3).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { ErrorCode } from "@grpc-ts/http2";
import {
  createEchoService,
  Echo,
  PYTHON_H2,
  type ServerHandle,
  skipWithout,
  startServer,
} from "@grpc-ts/testing";
import type { Metadata } from "../../index.js";
import {
  all,
  answered,
  assertAnswered,
  connectionError,
  data,
  type Expect,
  type Fields,
  grpcFields,
  grpcMessage,
  headerBlock,
  headers,
  hello,
  type ProbeResult,
  probeCases,
  responses,
  S,
  type Step,
  waitFor,
} from "./probe.js";

const engine = "grpc-ts" as const;

/** The `x-` fields of a request as the handler saw them, one `name=value` a line. */
function echoed(metadata: Metadata): string {
  const lines: string[] = [];
  for (const [k, v] of metadata) if (k.startsWith("x-")) lines.push(`${k}=${String(v)}`);
  return lines.join("\n");
}

/** A request with `extra` fields (options for the HEADERS step), answered with its `x-` fields. */
function call(stream: number, extra: Fields, options: Record<string, unknown> = {}): Step[] {
  return [
    headers(stream, grpcFields(undefined, extra), options),
    data(stream, grpcMessage(), { endStream: true }),
    waitFor("HEADERS", stream, true),
  ];
}

/** The handler saw exactly the `x-` fields sent. */
function sawFields(stream: number, extra: Fields): Expect {
  return (r: ProbeResult) => {
    assertAnswered(r, stream);
    const got = responses(r, stream);
    assert.equal(got.length, 1);
    assert.equal(
      got[0]!.message,
      extra.map(([n, v]) => `${n}=${v}`).join("\n"),
      `fields of stream ${stream}`,
    );
  };
}

/** A value of `n` characters, different for each `seed`. */
function value(seed: number, n: number): string {
  let s = "";
  for (let i = 0; s.length < n; i++) s += ((seed * 7919 + i * 104729) % 1000003).toString(36);
  return s.slice(0, n);
}

describe("RFC 7541 HPACK through the grpc-ts engine (h2-probe.py)", {
  skip: skipWithout(...PYTHON_H2),
}, () => {
  let server: ServerHandle;
  before(async () => {
    server = await startServer({
      server: { engine },
      setup: (s) =>
        s.add(Echo, {
          ...createEchoService(),
          async unary(_req, ctx) {
            return { message: echoed(ctx.metadata) };
          },
        }),
    });
  });
  after(() => server.close());
  const port = () => server.port;

  describe("valid blocks decode to what was sent", () => {
    const a: Fields = [
      ["x-a", "first value"],
      ["x-b", "ascii ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"],
    ];
    const big = (seed: number): Fields =>
      Array.from(
        { length: 5 },
        (_, i) => [`x-big-${(seed + i) % 7}`, value(seed + i, 700)] as [string, string],
      );
    // five requests of five 700-octet fields, each sharing four with the one before: the
    // 4096-octet table evicts all the time, and the encoder refers to what it believes is left
    const evicting = [0, 1, 2, 3, 4].map(big);
    probeCases(port, [
      { name: "Huffman-coded strings", steps: [hello(), ...call(1, a)], expect: sawFields(1, a) },
      {
        name: "plain (not Huffman-coded) strings",
        steps: [hello(), ...call(1, a, { huffman: false })],
        expect: sawFields(1, a),
      },
      {
        name: "never-indexed literals",
        steps: [hello(), ...call(1, [["x-secret", "s3cr3t"]], { sensitive: ["x-secret"] })],
        expect: sawFields(1, [["x-secret", "s3cr3t"]]),
      },
      {
        name: "literals without indexing and never indexed, with new names (by hand)",
        steps: [
          hello(),
          // 0000 literal without indexing "x-a: 1"; 0001 never indexed "x-b: 2"
          ...call(1, [], { blockSuffix: "0003782d61 0131 1003782d62 0132".replace(/ /g, "") }),
        ],
        expect: sawFields(1, [
          ["x-a", "1"],
          ["x-b", "2"],
        ]),
      },
      {
        name: "indexed fields from the dynamic table, across requests",
        steps: [hello(), ...call(1, a), ...call(3, a), ...call(5, a)],
        expect: all(sawFields(1, a), sawFields(3, a), sawFields(5, a)),
      },
      {
        name: "the dynamic table stays in step through evictions",
        steps: [hello(), ...evicting.flatMap((f, i) => call(1 + 2 * i, f))],
        expect: all(...evicting.map((f, i) => sawFields(1 + 2 * i, f))),
      },
      {
        name: "a table size update to 0 (emptying the table), then back to 4096",
        steps: [
          hello(),
          ...call(1, a),
          { op: "encoder_table_size", size: 0 },
          ...call(3, a),
          { op: "encoder_table_size", size: 4096 },
          ...call(5, a),
          ...call(7, a),
        ],
        expect: all(sawFields(1, a), sawFields(3, a), sawFields(5, a), sawFields(7, a)),
      },
      {
        name: "two table size updates at the start of a block",
        steps: [hello(), ...call(1, a, { blockPrefix: "203fe11f" })],
        expect: sawFields(1, a),
      },
      {
        name: "a table size update to exactly SETTINGS_HEADER_TABLE_SIZE (4096)",
        steps: [hello(), ...call(1, a, { blockPrefix: "3fe11f" })],
        expect: sawFields(1, a),
      },
      {
        name: "a larger SETTINGS_HEADER_TABLE_SIZE from the client: the server's blocks still decode",
        steps: [hello([[S.HEADER_TABLE_SIZE, 65536]]), ...call(1, a), ...call(3, a)],
        expect: all(answered(1), answered(3)),
      },
      {
        name: "a header list over the server's limit is refused with a gRPC status; the HPACK state goes on",
        steps: [
          hello(),
          ...call(1, [["x-huge", value(1, 20000)]]),
          ...call(3, [
            ["x-huge", value(1, 20000)],
            ["x-after", "1"],
          ]),
          ...call(5, a),
        ],
        expect: all(
          (r) => assertAnswered(r, 1, "8"),
          (r) => assertAnswered(r, 3, "8"),
          sawFields(5, a),
        ),
      },
    ]);
  });

  describe("malformed blocks: COMPRESSION_ERROR", () => {
    const block = (hex: string) => [hello(), headerBlock(1, hex.replace(/ /g, ""), { endStream: true })];
    probeCases(port, [
      {
        name: "a table size update over SETTINGS_HEADER_TABLE_SIZE (4097, from hpack's encoder)",
        steps: [hello(), { op: "encoder_table_size", size: 4097 }, ...call(1, [])],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a table size update over SETTINGS_HEADER_TABLE_SIZE (by hand: 8192)",
        steps: block("3fe13f 8286 84"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a table size update after a field",
        steps: [hello(), headers(1, grpcFields(), { blockSuffix: "20", endStream: true })],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a table size update after a field, in a later block",
        steps: [hello(), ...call(1, []), headers(3, grpcFields(), { blockSuffix: "3f00", endStream: true })],
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "indexed field with index 0",
        steps: block("80"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "indexed field past the static table with an empty dynamic table (62)",
        steps: block("8286 84 be"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "indexed field one past the dynamic table's newest entry",
        steps: block("4001610162 bf"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "literal with an indexed name out of range (63)",
        steps: block("7f00 0161"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "literal without indexing with an indexed name out of range (62)",
        steps: block("0f2f 0161"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "an index too large for 32 bits",
        steps: block("ff ffffffffff0f"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "Huffman: a string containing EOS",
        steps: block("4001 61 84 ffffffff"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "Huffman: padding longer than 7 bits",
        steps: block("4001 61 82 1fff"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "Huffman: padding that is not the EOS prefix (zeros)",
        steps: block("4001 61 81 18"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "Huffman: an invalid name",
        steps: block("4081 18 0161"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a string longer than the rest of the block",
        steps: block("4005 61"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a block that ends inside an integer",
        steps: block("8286 ff"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
      {
        name: "a block that ends before a literal's value",
        steps: block("8286 4003782d61"),
        expect: connectionError(ErrorCode.COMPRESSION_ERROR),
      },
    ]);
  });
});
