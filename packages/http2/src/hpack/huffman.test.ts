import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByteWriter } from "../byte-writer.js";
import { hex, toHex } from "../test-support/hex.js";
import { Random } from "../test-support/random.js";
import { HpackError } from "./hpack-error.js";
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./huffman.js";
import { EOS, HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES } from "./huffman-table.js";
import { latin1Decode } from "./latin1.js";

function encode(str: string): Uint8Array {
  const w = new ByteWriter(16);
  const n = huffmanEncodedLength(str);
  huffmanEncode(w, str, n);
  assert.equal(w.pos, n, "encoded length matches the prediction");
  return w.view();
}

function decode(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / 5) + 1);
  const n = huffmanDecode(bytes, 0, bytes.length, out);
  return latin1Decode(out, 0, n);
}

const invalid = (e: unknown) => e instanceof HpackError && e.kind === "huffman-invalid";

describe("HPACK Huffman code (RFC 7541 §5.2, Appendix B)", () => {
  test("the table: 257 codes, a complete prefix code (Kraft sum exactly 1), 5 to 30 bits", () => {
    assert.equal(HUFFMAN_CODE_LENGTHS.length, 257);
    let kraft = 0;
    for (const len of HUFFMAN_CODE_LENGTHS) kraft += 2 ** -len;
    assert.equal(kraft, 1);
    assert.equal(Math.min(...HUFFMAN_CODE_LENGTHS), 5);
    assert.equal(Math.max(...HUFFMAN_CODE_LENGTHS), 30);
  });

  test("derived codes match the RFC's table (a sample of every length, and EOS)", () => {
    // [symbol, code as hex aligned to LSB, length] as printed in Appendix B
    const rfc: [number, number, number][] = [
      [0, 0x1ff8, 13],
      [1, 0x7fffd8, 23],
      [2, 0xfffffe2, 28],
      [9, 0xffffea, 24],
      [10, 0x3ffffffc, 30],
      [13, 0x3ffffffd, 30],
      [22, 0x3ffffffe, 30],
      [31, 0xffffffb, 28],
      [32, 0x14, 6],
      [33, 0x3f8, 10],
      [35, 0xffa, 12],
      [36, 0x1ff9, 13],
      [38, 0xf8, 8],
      [39, 0x7fa, 11],
      [48, 0x0, 5],
      [50, 0x2, 5],
      [57, 0x1f, 6],
      [58, 0x5c, 7],
      [60, 0x7ffc, 15],
      [63, 0x3fc, 10],
      [65, 0x21, 6],
      [88, 0xfc, 8],
      [90, 0xfd, 8],
      [92, 0x7fff0, 19],
      [94, 0x3ffc, 14],
      [96, 0x7ffd, 15],
      [97, 0x3, 5],
      [116, 0x9, 5],
      [122, 0x7b, 7],
      [123, 0x7ffe, 15],
      [124, 0x7fc, 11],
      [125, 0x3ffd, 14],
      [126, 0x1ffd, 13],
      [127, 0xffffffc, 28],
      [128, 0xfffe6, 20],
      [129, 0x3fffd2, 22],
      [135, 0x7fffd9, 23],
      [142, 0xffffeb, 24],
      [153, 0x1fffdc, 21],
      [171, 0xfffff0, 24],
      [176, 0x1fffe0, 21],
      [192, 0x3ffffe0, 26],
      [195, 0x7fff1, 19],
      [199, 0x1ffffec, 25],
      [203, 0x7ffffde, 27],
      [208, 0x7fff2, 19],
      [211, 0x7ffffe0, 27],
      [220, 0xffffffd, 28],
      [224, 0xfffec, 20],
      [234, 0x1ffffee, 25],
      [241, 0x7ffffe6, 27],
      [249, 0xffffffe, 28],
      [254, 0x7fffff0, 27],
      [255, 0x3ffffee, 26],
      [256, 0x3fffffff, 30],
    ];
    for (const [sym, code, len] of rfc) {
      assert.equal(HUFFMAN_CODE_LENGTHS[sym], len, `length of ${sym}`);
      assert.equal(HUFFMAN_CODES[sym], code, `code of ${sym}`);
    }
    assert.equal(EOS, 256);
  });

  test("the strings of Appendix C.4 and C.6 encode and decode byte for byte", () => {
    const vectors: [string, string][] = [
      ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
      ["no-cache", "a8eb 1064 9cbf"],
      ["custom-key", "25a8 49e9 5ba9 7d7f"],
      ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
      ["302", "6402"],
      ["307", "640e ff"],
      ["private", "aec3 771a 4b"],
      ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
      ["Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"],
      ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
      ["gzip", "9bd9 ab"],
      [
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
        "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      ],
    ];
    for (const [text, code] of vectors) {
      assert.equal(toHex(encode(text)), toHex(hex(code)), text);
      assert.equal(decode(hex(code)), text);
    }
  });

  test("every octet alone, and all 256 in a row, round-trip", () => {
    for (let c = 0; c < 256; c++) {
      const s = String.fromCharCode(c);
      assert.equal(decode(encode(s)), s, `octet ${c}`);
    }
    let all = "";
    for (let c = 0; c < 256; c++) all += String.fromCharCode(c);
    assert.equal(decode(encode(all)), all);
    assert.equal(decode(encode(all.split("").reverse().join(""))), all.split("").reverse().join(""));
  });

  test("random strings round-trip (fixed seed)", () => {
    const rnd = new Random(7541);
    const ascii = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~:/?#[]@!$&'()*+,;=% ";
    for (let i = 0; i < 2000; i++) {
      const n = rnd.int(64);
      const s = i % 2 === 0 ? rnd.string(n, ascii) : latin1Decode(rnd.bytes(n), 0, n);
      assert.equal(decode(encode(s)), s);
    }
  });

  test("the empty string is zero octets", () => {
    assert.equal(huffmanEncodedLength(""), 0);
    assert.equal(decode(new Uint8Array(0)), "");
  });

  test("a char above 0xff has no code", () => {
    assert.equal(huffmanEncodedLength("a\u0100"), -1);
  });

  test("padding longer than 7 bits is rejected", () => {
    assert.throws(() => decode(hex("ff")), invalid); // 8 bits of padding alone
    assert.throws(() => decode(hex("1fff")), invalid); // 'a' (00011) + 11 one-bits
    assert.equal(decode(hex("1f")), "a"); // 'a' + 3 one-bits is fine
    // 'a' (00011) + ' ' (010100) + ' ' (010100) = 17 bits, then 7 one-bits: the longest padding
    assert.equal(toHex(encode("a  ")), "1a8a7f");
    assert.equal(decode(hex("1a8a7f")), "a  ");
    assert.throws(() => decode(hex("1a8a7fff")), invalid); // 15 one-bits
  });

  test("padding that is not all ones is rejected", () => {
    assert.throws(() => decode(hex("18")), invalid); // 'a' + 000
    assert.throws(() => decode(hex("1e")), invalid); // 'a' + 110
    assert.throws(() => decode(hex("1d")), invalid); // 'a' + 101
  });

  test("EOS inside the data is rejected", () => {
    assert.throws(() => decode(hex("ffff ffff")), invalid); // 30 ones = EOS, then 2 more
    assert.throws(() => decode(hex("ffff fffc")), invalid); // EOS then 00
    assert.throws(() => decode(hex("1fff ffff ff")), invalid); // 'a' then EOS
  });

  test("random and truncated input either decodes or fails with huffman-invalid (fixed seed)", () => {
    const rnd = new Random(42);
    const out = new Uint8Array(1024);
    for (let i = 0; i < 5000; i++) {
      const bytes = rnd.bytes(1 + rnd.int(40));
      try {
        const n = huffmanDecode(bytes, 0, bytes.length, out);
        assert.ok(n <= (bytes.length * 8) / 5);
      } catch (e) {
        assert.ok(invalid(e), String(e));
      }
    }
    const valid = encode("https://www.example.com/some/path?x=1");
    for (let cut = 0; cut < valid.length; cut++) {
      try {
        huffmanDecode(valid, 0, cut, out);
      } catch (e) {
        assert.ok(invalid(e), String(e));
      }
    }
  });
});
