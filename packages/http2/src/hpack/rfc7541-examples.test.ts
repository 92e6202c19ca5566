/**
 * The worked examples of RFC 7541 Appendix C.2 to C.6, byte for byte, through our encoder and
 * our decoder, with the dynamic table checked after each block as the RFC prints it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { hex, toHex } from "../test-support/hex.js";
import { HpackDecoder } from "./decoder.js";
import { FieldFlag, HpackEncoder, type HuffmanPolicy } from "./encoder.js";

interface Step {
  fields: string[];
  wire: string;
  /** Dynamic table after the block, newest first. */
  table: [string, string][];
  size: number;
}

const REQUEST_FIELDS = [
  [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"],
  [
    ":method",
    "GET",
    ":scheme",
    "http",
    ":path",
    "/",
    ":authority",
    "www.example.com",
    "cache-control",
    "no-cache",
  ],
  [
    ":method",
    "GET",
    ":scheme",
    "https",
    ":path",
    "/index.html",
    ":authority",
    "www.example.com",
    "custom-key",
    "custom-value",
  ],
];
const REQUEST_TABLES: [string, string][][] = [
  [[":authority", "www.example.com"]],
  [
    ["cache-control", "no-cache"],
    [":authority", "www.example.com"],
  ],
  [
    ["custom-key", "custom-value"],
    ["cache-control", "no-cache"],
    [":authority", "www.example.com"],
  ],
];
const REQUEST_SIZES = [57, 110, 164];

const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSE_FIELDS = [
  [":status", "302", "cache-control", "private", "date", DATE1, "location", LOCATION],
  [":status", "307", "cache-control", "private", "date", DATE1, "location", LOCATION],
  [
    ":status",
    "200",
    "cache-control",
    "private",
    "date",
    DATE2,
    "location",
    LOCATION,
    "content-encoding",
    "gzip",
    "set-cookie",
    COOKIE,
  ],
];
const RESPONSE_TABLES: [string, string][][] = [
  [
    ["location", LOCATION],
    ["date", DATE1],
    ["cache-control", "private"],
    [":status", "302"],
  ],
  [
    [":status", "307"],
    ["location", LOCATION],
    ["date", DATE1],
    ["cache-control", "private"],
  ],
  [
    ["set-cookie", COOKIE],
    ["content-encoding", "gzip"],
    ["date", DATE2],
  ],
];
const RESPONSE_SIZES = [222, 222, 215];

function steps(fields: string[][], wires: string[], tables: [string, string][][], sizes: number[]): Step[] {
  return fields.map((f, i) => ({ fields: f, wire: wires[i]!, table: tables[i]!, size: sizes[i]! }));
}

const C3 = steps(
  REQUEST_FIELDS,
  [
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
  ],
  REQUEST_TABLES,
  REQUEST_SIZES,
);

const C4 = steps(
  REQUEST_FIELDS,
  [
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
  ],
  REQUEST_TABLES,
  REQUEST_SIZES,
);

const C5 = steps(
  RESPONSE_FIELDS,
  [
    `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
     2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
     6c65 2e63 6f6d`,
    "4803 3330 37c1 c0bf",
    `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
     54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
     5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
     3d31`,
  ],
  RESPONSE_TABLES,
  RESPONSE_SIZES,
);

const C6 = steps(
  RESPONSE_FIELDS,
  [
    `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
     2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    "4883 640e ffc1 c0bf",
    `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
     77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
     9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
  ],
  RESPONSE_TABLES,
  RESPONSE_SIZES,
);

function decoderTable(d: HpackDecoder): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 1; i <= d.tableLength; i++) out.push(d.tableEntry(i)!);
  return out;
}

function runDecoder(tableSize: number, sequence: Step[]): void {
  const d = new HpackDecoder({ maxTableSize: tableSize });
  for (const step of sequence) {
    const out: string[] = [];
    assert.equal(d.decode(hex(step.wire), out), true);
    assert.deepEqual(out, step.fields);
    assert.deepEqual(decoderTable(d), step.table);
    assert.equal(d.tableSize, step.size);
  }
}

/**
 * Encodes each step's fields. With a table size other than the initial 4096, our encoder first
 * signals it (a size update the RFC's examples leave out, as they assume both sides start at
 * the new size): `prefix` is that update, checked and then compared apart from the example.
 */
function runEncoder(tableSize: number, huffman: HuffmanPolicy, sequence: Step[], prefix = ""): void {
  const e = new HpackEncoder({ maxTableSize: tableSize, huffman, noIndexNames: [] });
  const w = new ByteWriter(64);
  sequence.forEach((step, i) => {
    w.reset();
    e.encode(w, step.fields);
    const expected = (i === 0 ? prefix : "") + toHex(hex(step.wire));
    assert.equal(toHex(w.view()), expected);
    assert.equal(e.tableSize, step.size);
    assert.equal(e.tableLength, step.table.length);
  });
}

describe("RFC 7541 Appendix C examples", () => {
  test("C.2.1 literal header field with indexing", () => {
    const wire = "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572";
    const d = new HpackDecoder();
    const out: string[] = [];
    d.decode(hex(wire), out);
    assert.deepEqual(out, ["custom-key", "custom-header"]);
    assert.deepEqual(decoderTable(d), [["custom-key", "custom-header"]]);
    assert.equal(d.tableSize, 55);
    const w = new ByteWriter();
    new HpackEncoder({ huffman: "never" }).encode(w, ["custom-key", "custom-header"]);
    assert.equal(toHex(w.view()), toHex(hex(wire)));
  });

  test("C.2.2 literal header field without indexing", () => {
    const wire = "040c 2f73 616d 706c 652f 7061 7468";
    const d = new HpackDecoder();
    const out: string[] = [];
    d.decode(hex(wire), out);
    assert.deepEqual(out, [":path", "/sample/path"]);
    assert.equal(d.tableLength, 0);
    const w = new ByteWriter();
    new HpackEncoder({ huffman: "never" }).encode(w, [":path", "/sample/path"], [FieldFlag.NO_INDEX]);
    assert.equal(toHex(w.view()), toHex(hex(wire)));
  });

  test("C.2.3 literal header field never indexed", () => {
    const wire = "1008 7061 7373 776f 7264 0673 6563 7265 74";
    const d = new HpackDecoder();
    const out: string[] = [];
    d.decode(hex(wire), out);
    assert.deepEqual(out, ["password", "secret"]);
    assert.equal(d.tableLength, 0);
    const flagged = new ByteWriter();
    new HpackEncoder({ huffman: "never" }).encode(flagged, ["password", "secret"], [FieldFlag.SENSITIVE]);
    assert.equal(toHex(flagged.view()), toHex(hex(wire)));
    const byName = new ByteWriter();
    new HpackEncoder({ huffman: "never", sensitiveNames: ["password"] }).encode(byName, [
      "password",
      "secret",
    ]);
    assert.equal(toHex(byName.view()), toHex(hex(wire)));
  });

  test("C.2.4 indexed header field", () => {
    const d = new HpackDecoder();
    const out: string[] = [];
    d.decode(hex("82"), out);
    assert.deepEqual(out, [":method", "GET"]);
    assert.equal(d.tableLength, 0);
    const w = new ByteWriter();
    new HpackEncoder().encode(w, [":method", "GET"]);
    assert.equal(toHex(w.view()), "82");
  });

  test("C.3 requests without Huffman coding", () => {
    runDecoder(4096, C3);
    runEncoder(4096, "never", C3);
  });

  test("C.4 requests with Huffman coding", () => {
    runDecoder(4096, C4);
    runEncoder(4096, "always", C4);
    runEncoder(4096, "shorter", C4); // Huffman is shorter for every literal here
  });

  test("C.5 responses without Huffman coding, table size 256 (evictions)", () => {
    runDecoder(256, C5);
    runEncoder(256, "never", C5, "3fe101"); // size update to 256
  });

  test("C.6 responses with Huffman coding, table size 256 (evictions)", () => {
    runDecoder(256, C6);
    runEncoder(256, "always", C6, "3fe101");
  });
});
