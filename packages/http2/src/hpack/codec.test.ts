import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { concat, hex, toHex } from "../test-support/hex.js";
import { Random } from "../test-support/random.js";
import { HpackDecoder } from "./decoder.js";
import { FieldFlag, HpackEncoder, type HuffmanPolicy } from "./encoder.js";
import { HpackError, type HpackErrorKind } from "./hpack-error.js";
import { encodeInteger } from "./integer.js";
import { STATIC_TABLE } from "./static-table.js";

function encodeBlock(e: HpackEncoder, fields: string[], flags?: number[]): Uint8Array {
  const w = new ByteWriter(64);
  e.encode(w, fields, flags);
  return w.view().slice();
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function decodeBlock(d: HpackDecoder, block: Uint8Array): string[] {
  const out: string[] = [];
  assert.equal(d.decode(block, out), true);
  return out;
}

function rejects(d: HpackDecoder, block: Uint8Array, kind: HpackErrorKind): void {
  assert.throws(
    () => d.decode(block, []),
    (e: unknown) => e instanceof HpackError && e.kind === kind && e.code === 0x9 && e.streamId === 0,
  );
}

/** A random header list: static names and values, repeated gRPC-like fields, and noise. */
function randomFields(rnd: Random): string[] {
  const fields: string[] = [];
  const n = rnd.int(12);
  const token = "abcdefghijklmnopqrstuvwxyz0123456789-_";
  const text =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (let i = 0; i < n; i++) {
    switch (rnd.int(6)) {
      case 0: {
        const [name, value] = rnd.pick(STATIC_TABLE);
        fields.push(name, value);
        break;
      }
      case 1:
        fields.push(rnd.pick(STATIC_TABLE)[0], rnd.string(rnd.int(20), text));
        break;
      case 2:
        fields.push(
          rnd.pick(["x-a", "x-b", "grpc-timeout", "user-agent", "te"]),
          rnd.pick(["1", "2", "trailers"]),
        );
        break;
      case 3:
        fields.push(`x-${rnd.string(1 + rnd.int(8), token)}`, rnd.string(rnd.int(40), text));
        break;
      case 4: {
        const len = rnd.int(300);
        let v = "";
        for (let k = 0; k < len; k++) v += String.fromCharCode(rnd.int(256));
        fields.push(`bin-${rnd.int(4)}`, v); // any octets, long values (evictions)
        break;
      }
      default:
        fields.push("", rnd.string(rnd.int(3), text)); // empty name: HPACK does not care
    }
  }
  return fields;
}

describe("HPACK encoder and decoder", () => {
  test("random header lists round-trip through one connection's encoder and decoder (fixed seed)", () => {
    const policies: HuffmanPolicy[] = ["shorter", "always", "never"];
    for (let seed = 1; seed <= 12; seed++) {
      const rnd = new Random(seed);
      const e = new HpackEncoder({
        huffman: policies[seed % 3]!,
        maxTableSize: seed % 4 === 0 ? 1024 : 4096,
      });
      const d = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
      for (let block = 0; block < 300; block++) {
        if (rnd.int(20) === 0) {
          // The decoder's limit (our SETTINGS_HEADER_TABLE_SIZE) changes; once acknowledged the
          // encoder learns it, and may go down and up again before the next block.
          const size = rnd.pick([0, 64, 256, 1000, 4096, 8192]);
          d.setMaxTableSize(size);
          e.setPeerMaxTableSize(size);
          if (rnd.int(2) === 0) {
            const again = rnd.pick([0, 100, 4096]);
            d.setMaxTableSize(Math.max(size, again));
            e.setPeerMaxTableSize(Math.max(size, again));
          }
        }
        const fields = randomFields(rnd);
        const flags = fields.map(() => rnd.pick([0, 0, 0, FieldFlag.NO_INDEX, FieldFlag.SENSITIVE]));
        const wire = encodeBlock(e, fields, flags);
        assert.deepEqual(decodeBlock(d, wire), fields, `seed ${seed} block ${block}`);
        assert.equal(d.tableSize, e.tableSize);
        assert.equal(d.tableLength, e.tableLength);
        assert.ok(d.tableSize <= d.tableMaxSize);
      }
    }
  });

  test("repeated fields are sent as one-octet indexes", () => {
    const e = new HpackEncoder();
    const fields = [
      ":status",
      "200",
      "content-type",
      "application/grpc",
      "grpc-accept-encoding",
      "identity,gzip",
    ];
    const first = encodeBlock(e, fields);
    const second = encodeBlock(e, fields);
    assert.ok(first.length > 20);
    assert.equal(toHex(second), "88bfbe");
    const d = new HpackDecoder();
    assert.deepEqual(decodeBlock(d, first), fields);
    assert.deepEqual(decodeBlock(d, second), fields);
  });

  test("sensitive fields are never indexed, even when the table holds them", () => {
    const e = new HpackEncoder({ huffman: "never" });
    encodeBlock(e, ["x-token", "abc"]); // now in the table
    const block = encodeBlock(e, ["x-token", "abc"], [FieldFlag.SENSITIVE]);
    // never-indexed (0001), name from the dynamic table (62 → 15 + 47), raw value
    assert.equal(toHex(block), toHex(hex("1f2f 03616263")));
    const auth = encodeBlock(e, ["authorization", "Bearer x", "authorization", "Bearer x"]);
    assert.equal(
      toHex(auth),
      toHex(concat(hex("1f08 08"), ascii("Bearer x"), hex("1f08 08"), ascii("Bearer x"))),
    );
    assert.equal(e.tableLength, 1);
  });

  test("noIndexNames: indexed once for the name, then literals that refer to it", () => {
    const e = new HpackEncoder({ huffman: "never" });
    const first = encodeBlock(e, ["grpc-timeout", "1S"]);
    assert.equal(toHex(first), toHex(concat(hex("400c"), ascii("grpc-timeout"), hex("023153"))));
    const second = encodeBlock(e, ["grpc-timeout", "2S", "grpc-timeout", "1S"]);
    // literal without indexing, name index 62; then the full field still indexed as 62
    assert.equal(toHex(second), toHex(hex("0f2f 023253 be")));
    assert.equal(e.tableLength, 1);
    const d = new HpackDecoder();
    decodeBlock(d, first);
    assert.deepEqual(decodeBlock(d, second), ["grpc-timeout", "2S", "grpc-timeout", "1S"]);
  });

  test("NO_INDEX fields stay out of the table but use its indexes", () => {
    const e = new HpackEncoder({ huffman: "never" });
    const block = encodeBlock(
      e,
      ["content-type", "a", "x-new", "b"],
      [FieldFlag.NO_INDEX, FieldFlag.NO_INDEX],
    );
    assert.equal(e.tableLength, 0);
    assert.equal(toHex(block), toHex(concat(hex("0f10 0161 0005"), ascii("x-new"), hex("0162"))));
  });

  test("a field larger than 3/4 of the table is not indexed; one larger than the table empties it on decode", () => {
    const e = new HpackEncoder({ huffman: "never" });
    encodeBlock(e, ["x-big", "v".repeat(3100)]);
    assert.equal(e.tableLength, 0);
    // A peer may still insert it: the decoder's table is then emptied (RFC 7541 §4.4).
    const d = new HpackDecoder();
    decodeBlock(d, encodeBlock(new HpackEncoder(), ["a", "b"]));
    assert.equal(d.tableLength, 1);
    const w = new ByteWriter();
    w.u8(0x40);
    encodeInteger(w, 1, 7, 0);
    w.u8(0x61);
    encodeInteger(w, 5000, 7, 0);
    w.bytes(new Uint8Array(5000).fill(0x76));
    const out: string[] = [];
    assert.equal(d.decode(w.view(), out), true);
    assert.equal(out[1]!.length, 5000);
    assert.equal(d.tableLength, 0);
    assert.equal(d.tableSize, 0);
  });

  test("chars above 0xff are refused by the encoder", () => {
    for (const huffman of ["shorter", "never"] as const) {
      assert.throws(() => encodeBlock(new HpackEncoder({ huffman }), ["x", "\u20ac"]), RangeError);
    }
  });

  test("the encoder signals a smaller table, and the smallest then the final size after a dip", () => {
    const e = new HpackEncoder({ huffman: "never" });
    encodeBlock(e, ["a", "b"]);
    e.setPeerMaxTableSize(0);
    e.setPeerMaxTableSize(4096);
    const block = encodeBlock(e, ["a", "b"]);
    // update to 0, update to 4096 (3f e1 1f), then a new literal (the entry was evicted)
    assert.equal(toHex(block), "203fe11f" + "4001610162");
    e.setPeerMaxTableSize(100000); // above our own limit of 4096: nothing changes
    assert.equal(toHex(encodeBlock(e, ["a", "b"])), "be");
  });

  test("an encoder with a small own limit signals it in its first block", () => {
    const e = new HpackEncoder({ maxTableSize: 0, huffman: "never" });
    assert.equal(toHex(encodeBlock(e, ["a", "b"])), "20" + "0001610162"); // no table: not indexed
    assert.equal(e.tableLength, 0);
    const d = new HpackDecoder();
    assert.deepEqual(decodeBlock(d, encodeBlock(new HpackEncoder({ maxTableSize: 0 }), ["a", "b"])), [
      "a",
      "b",
    ]);
  });

  test("the header list limit: the block is decoded through (table in step), fields past it dropped", () => {
    const d = new HpackDecoder({ maxHeaderListSize: 100 });
    const e = new HpackEncoder();
    const fields = ["x-a", "a".repeat(40), "x-b", "b".repeat(40), "x-c", "c"];
    const out: string[] = [];
    assert.equal(d.decode(encodeBlock(e, fields), out), false);
    assert.deepEqual(out, ["x-a", "a".repeat(40)]);
    assert.equal(d.tableLength, 3);
    assert.equal(d.tableSize, e.tableSize);
    // the next block decodes, and its indexes refer to the same entries
    assert.deepEqual(decodeBlock(d, encodeBlock(e, ["x-c", "c"])), ["x-c", "c"]);
  });

  test("an HPACK bomb (one big entry referenced many times) stops at the list limit", () => {
    const d = new HpackDecoder({ maxHeaderListSize: 16384, maxStringLength: 4096 });
    const w = new ByteWriter();
    w.u8(0x40);
    w.u8(0x01);
    w.u8(0x78);
    encodeInteger(w, 4000, 7, 0);
    w.bytes(new Uint8Array(4000).fill(0x41));
    for (let i = 0; i < 10000; i++) w.u8(0xbe); // index 62, 10000 times: 40 MB if collected
    const out: string[] = [];
    assert.equal(d.decode(w.view(), out), false);
    assert.ok(out.length <= 8);
  });

  test("a literal name or value longer than maxStringLength is a COMPRESSION_ERROR", () => {
    const raw = new ByteWriter();
    raw.u8(0x00);
    raw.u8(0x01);
    raw.u8(0x61);
    encodeInteger(raw, 101, 7, 0);
    raw.bytes(new Uint8Array(101).fill(0x61));
    rejects(new HpackDecoder({ maxStringLength: 100 }), raw.view(), "string-too-long");
    const huff = new ByteWriter();
    new HpackEncoder({ huffman: "always" }).encode(huff, ["x", "a".repeat(101)], [FieldFlag.NO_INDEX]);
    rejects(new HpackDecoder({ maxStringLength: 100 }), huff.view(), "string-too-long");
    const ok = new ByteWriter();
    new HpackEncoder({ huffman: "always" }).encode(ok, ["x", "a".repeat(100)], [FieldFlag.NO_INDEX]);
    assert.equal(new HpackDecoder({ maxStringLength: 100 }).decode(ok.view(), []), true);
  });

  test("frozen lists: blocks kept while the table is unchanged, the same octets as encoding them afresh", () => {
    const rnd = new Random(11);
    const frozen = [
      Object.freeze([":status", "200", "content-type", "application/grpc", "grpc-accept-encoding", "gzip"]),
      Object.freeze(["grpc-status", "0"]),
      Object.freeze(["grpc-status", "0", "grpc-message", "oops"]),
      Object.freeze([":status", "200"]),
      Object.freeze(["x-big", "v".repeat(3000)]), // evicts most of the table when inserted
      Object.freeze(["x-a", "1", "x-b", "2"]),
    ];
    const cached = new HpackEncoder({ maxTableSize: 8192 });
    const plain = new HpackEncoder({ maxTableSize: 8192 }); // the same lists, never frozen
    const d = new HpackDecoder({ maxTableSize: 8192 });
    for (let i = 0; i < 3000; i++) {
      if (rnd.int(50) === 0) {
        const size = rnd.pick([0, 256, 4096, 8192]);
        cached.setPeerMaxTableSize(size);
        plain.setPeerMaxTableSize(size);
      }
      const list = rnd.int(4) === 0 ? randomFields(rnd) : rnd.pick(frozen);
      const a = encodeBlock(cached, list as string[]);
      const b = encodeBlock(plain, [...list]);
      assert.deepEqual(toHex(a), toHex(b));
      assert.deepEqual(decodeBlock(d, a), list);
      assert.equal(cached.tableSize, plain.tableSize);
    }
  });

  test("frozen lists: cached blocks are copies, also from a writer of reused, unzeroed memory whose slice is a view (a Node Buffer)", () => {
    // Node's Buffer.prototype.slice returns a view: a cached block taken that way from the
    // connection's output buffer was overwritten by the next batch.
    class ViewSlicing extends Uint8Array {
      override slice(start?: number, end?: number): ViewSlicing {
        return this.subarray(start, end) as ViewSlicing;
      }
    }
    const w = new ByteWriter(4096, (n) => new ViewSlicing(n).fill(0xaa));
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    const list = Object.freeze([
      ":status",
      "200",
      "content-type",
      "application/grpc",
      "grpc-accept-encoding",
      "gzip",
    ]);
    for (let i = 0; i < 5; i++) {
      e.encode(w, list as string[]);
      const block = w.view().slice(); // a view of w's buffer: decoded before the next write
      assert.deepEqual(decodeBlock(d, Uint8Array.from(block)), list, `block ${i}`);
      w.buf.fill(0x55, 0, w.pos); // the batch has gone out, its memory is written over
      w.reset();
    }
  });

  test("a repeated block decodes to the same fields (copied from its third time), unless it changes the table", () => {
    const d = new HpackDecoder();
    const indexed = hex("82 86 84"); // :method GET, :scheme http, :path /
    const results: string[][] = [];
    const repeated: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const out = ["x", "y"]; // appended to
      assert.equal(d.decode(indexed, out), true);
      results.push(out);
      repeated.push(d.repeated);
    }
    for (const r of results)
      assert.deepEqual(r, ["x", "y", ":method", "GET", ":scheme", "http", ":path", "/"]);
    assert.deepEqual(repeated, [false, true, true, true]);
    // An inserting block inserts each time, never taken as a repeat.
    const inserting = hex("40 01 61 01 62"); // a: b, with incremental indexing
    for (let i = 1; i <= 3; i++) {
      assert.deepEqual(decodeBlock(d, inserting), ["a", "b"]);
      assert.equal(d.repeated, false);
      assert.equal(d.tableLength, i);
    }
    // A size update changes the table: the block after it is not a repeat of the one before.
    decodeBlock(d, hex("be"));
    decodeBlock(d, hex("be"));
    assert.equal(d.repeated, true);
    decodeBlock(d, hex("3f e1 1f be")); // size update to 4096, then the same index
    assert.equal(d.repeated, false);
    // A lower list limit is a different result for the same octets.
    const big = new HpackDecoder({ maxHeaderListSize: 1000 });
    const block = hex("82 86 84");
    decodeBlock(big, block);
    decodeBlock(big, block);
    decodeBlock(big, block);
    big.maxHeaderListSize = 60;
    const out: string[] = [];
    assert.equal(big.decode(block, out), false);
    assert.deepEqual(out, [":method", "GET"]);
    assert.equal(big.decode(block, []), false);
  });

  test("literals sent again and again (never indexed) decode the same through the literal cache", () => {
    // As nghttp2 sends them: `:path` and content-length as literals without indexing, each time.
    const e = new HpackEncoder({ noIndexNames: [":path", "content-length"] });
    const d = new HpackDecoder();
    const rnd = new Random(7);
    const token = "abcdefghijklmnopqrstuvwxyz0123456789/._";
    const paths = Array.from({ length: 80 }, (_, i) => `/pkg.S${i}/${rnd.string(1 + rnd.int(70), token)}`);
    for (let i = 0; i < 2000; i++) {
      // Many values against few slots: collisions and evictions, raw and Huffman-coded alike.
      const fields = [":path", rnd.pick(paths), "content-length", String(rnd.int(1000)), "x-raw", "\x7f"];
      const raw = rnd.int(2) === 0;
      const block = encodeBlock(raw ? new HpackEncoder({ huffman: "never" }) : e, fields, [
        FieldFlag.NO_INDEX,
        FieldFlag.NO_INDEX,
        FieldFlag.NO_INDEX,
      ]);
      assert.deepEqual(decodeBlock(d, block), fields);
    }
    // The same octets raw and Huffman-coded are different strings.
    const d2 = new HpackDecoder();
    assert.deepEqual(decodeBlock(d2, hex("00 01 61 01 3f")), ["a", "?"]);
    assert.deepEqual(decodeBlock(d2, hex("00 01 61 81 3f")), ["a", "o"]);
    // Invalid Huffman is rejected each time (never cached).
    rejects(d2, hex("00 01 61 81 ff"), "huffman-invalid");
    rejects(d2, hex("00 01 61 81 ff"), "huffman-invalid");
  });

  describe("malformed blocks are rejected with COMPRESSION_ERROR", () => {
    test("truncated integers, strings and representations", () => {
      rejects(new HpackDecoder(), hex("ff"), "truncated"); // indexed, continuation missing
      rejects(new HpackDecoder(), hex("40"), "truncated"); // literal, name missing
      rejects(new HpackDecoder(), hex("4001"), "truncated"); // name shorter than said
      rejects(new HpackDecoder(), hex("400161"), "truncated"); // value missing
      rejects(new HpackDecoder(), hex("40016105616263"), "truncated"); // value shorter than said
      rejects(new HpackDecoder(), hex("0f"), "truncated"); // literal without indexing, index continues
      rejects(new HpackDecoder(), hex("3f"), "truncated"); // size update continues
      rejects(new HpackDecoder(), hex("417f"), "truncated"); // value length continues
    });

    test("a block cut anywhere is rejected, or decodes to the fields before the cut", () => {
      const e = new HpackEncoder();
      const fields = [":method", "POST", ":path", "/pkg.Svc/Method", "x-custom", "value", "te", "trailers"];
      const block = encodeBlock(e, fields);
      for (let cut = 1; cut < block.length; cut++) {
        const d = new HpackDecoder();
        const out: string[] = [];
        try {
          d.decode(block, out, 0, cut);
          assert.deepEqual(out, fields.slice(0, out.length));
        } catch (err) {
          assert.ok(err instanceof HpackError, String(err));
        }
      }
    });

    test("integer overflow", () => {
      rejects(new HpackDecoder(), hex("ff ffffffff0f"), "integer-overflow");
      rejects(new HpackDecoder(), hex("40 7f ffffffff0f"), "integer-overflow");
      rejects(new HpackDecoder(), hex("3f 8080808080808080 00"), "integer-overflow");
    });

    test("indexes out of range: 0, past the static table with an empty dynamic table, huge", () => {
      rejects(new HpackDecoder(), hex("80"), "index-out-of-range");
      rejects(new HpackDecoder(), hex("be"), "index-out-of-range"); // 62
      rejects(new HpackDecoder(), hex("7f00 0161"), "index-out-of-range"); // literal name index 63
      rejects(new HpackDecoder(), hex("0f2f 0161"), "index-out-of-range"); // without indexing, 62
      rejects(new HpackDecoder(), hex("ff ffffff07"), "index-out-of-range");
      const d = new HpackDecoder();
      decodeBlock(d, hex("4001610162")); // one entry: 62 is valid, 63 is not
      assert.deepEqual(decodeBlock(d, hex("be")), ["a", "b"]);
      rejects(d, hex("bf"), "index-out-of-range");
    });

    test("bad Huffman: EOS, padding over 7 bits, padding not ones", () => {
      rejects(new HpackDecoder(), hex("4001 61 84 ffffffff"), "huffman-invalid");
      rejects(new HpackDecoder(), hex("4001 61 82 1fff"), "huffman-invalid");
      rejects(new HpackDecoder(), hex("4001 61 81 18"), "huffman-invalid");
      rejects(new HpackDecoder(), hex("4081 18 0161"), "huffman-invalid"); // in a name
    });

    test("a table size update above SETTINGS_HEADER_TABLE_SIZE", () => {
      rejects(new HpackDecoder(), hex("3fe21f"), "table-size-update-too-large"); // 4097
      assert.equal(new HpackDecoder().decode(hex("3fe11f 82"), []), true); // 4096 is fine
      rejects(new HpackDecoder({ maxTableSize: 0 }), hex("21"), "table-size-update-too-large");
    });

    test("a table size update after a field, even in the same block", () => {
      rejects(new HpackDecoder(), hex("82 20"), "table-size-update-misplaced");
      rejects(new HpackDecoder(), hex("20 82 3fe11f"), "table-size-update-misplaced");
      // several at the start are fine
      const d = new HpackDecoder();
      assert.deepEqual(decodeBlock(d, hex("20 3f21 82")), [":method", "GET"]);
      assert.equal(d.tableMaxSize, 64);
    });

    test("a smaller SETTINGS_HEADER_TABLE_SIZE requires an update at the start of the next block", () => {
      const d = new HpackDecoder();
      decodeBlock(d, hex("4001610162"));
      d.setMaxTableSize(0);
      rejects(d, hex("82"), "table-size-update-missing");
      const d2 = new HpackDecoder();
      d2.setMaxTableSize(0);
      rejects(d2, hex(""), "table-size-update-missing");
      rejects(d2, hex("21 82"), "table-size-update-too-large");
      const d3 = new HpackDecoder();
      decodeBlock(d3, hex("4001610162"));
      d3.setMaxTableSize(100);
      assert.deepEqual(decodeBlock(d3, hex("3f45 be")), ["a", "b"]); // shrink to 100 keeps the entry
      assert.deepEqual(decodeBlock(d3, hex("be")), ["a", "b"]); // and the next block needs none
      const d4 = new HpackDecoder();
      d4.setMaxTableSize(8192); // larger: no update required
      assert.deepEqual(decodeBlock(d4, hex("82")), [":method", "GET"]);
    });
  });

  test("random bytes and mutated blocks: decoded, or rejected with HpackError, never anything else (fixed seed)", () => {
    const rnd = new Random(0xc0ffee);
    const seeds: Uint8Array[] = [];
    const e = new HpackEncoder();
    for (let i = 0; i < 20; i++) seeds.push(encodeBlock(e, randomFields(rnd)));
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 20000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = rnd.bytes(rnd.int(64));
      } else {
        input = rnd.pick(seeds).slice();
        const flips = 1 + rnd.int(4);
        for (let k = 0; k < flips && input.length > 0; k++) input[rnd.int(input.length)] = rnd.int(256);
      }
      const d = new HpackDecoder({
        maxTableSize: rnd.pick([0, 256, 4096]),
        maxHeaderListSize: 4096,
        maxStringLength: 1024,
      });
      try {
        const out: string[] = [];
        d.decode(input, out);
        assert.equal(out.length % 2, 0);
        decoded++;
      } catch (err) {
        assert.ok(err instanceof HpackError, String(err));
        rejected++;
      }
    }
    assert.ok(decoded > 100 && rejected > 100, `${decoded} decoded, ${rejected} rejected`);
  });
});
