import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeStatusMessage, encodeStatusMessage } from "./status-message.js";

describe("encodeStatusMessage (PROTOCOL-HTTP2.md Percent-Encoded)", () => {
  it("leaves printable ASCII other than % as it is", () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== "%")
      .join("");
    assert.equal(encodeStatusMessage(printable), printable);
    assert.equal(encodeStatusMessage(""), "");
  });

  it("escapes % and control characters with upper-case hex", () => {
    assert.equal(encodeStatusMessage("50% off"), "50%25 off");
    assert.equal(encodeStatusMessage("%"), "%25");
    assert.equal(encodeStatusMessage("a\nb"), "a%0Ab");
    assert.equal(encodeStatusMessage("\t\r\u0000"), "%09%0D%00");
    assert.equal(encodeStatusMessage("\u007f"), "%7F");
  });

  it("escapes each byte of the UTF-8 form of non-ASCII text", () => {
    assert.equal(encodeStatusMessage("é"), "%C3%A9");
    assert.equal(encodeStatusMessage("caffè 100%"), "caff%C3%A8 100%25");
    assert.equal(encodeStatusMessage("日本"), "%E6%97%A5%E6%9C%AC");
    assert.equal(encodeStatusMessage("😀"), "%F0%9F%98%80");
  });

  it("yields only the characters the spec allows", () => {
    const enc = encodeStatusMessage("αβγ \u0001 % ~ 😀 \u07ff \uffff");
    assert.match(enc, /^(?:[\x20-\x24\x26-\x7e]|%[0-9A-F]{2})*$/);
  });
});

describe("decodeStatusMessage", () => {
  it("decodes escapes, upper or lower case, into UTF-8 text", () => {
    assert.equal(decodeStatusMessage("50%25 off"), "50% off");
    assert.equal(decodeStatusMessage("%C3%A9"), "é");
    assert.equal(decodeStatusMessage("%c3%a9"), "é");
    assert.equal(decodeStatusMessage("%F0%9F%98%80!"), "😀!");
    assert.equal(decodeStatusMessage("a%0Ab"), "a\nb");
    assert.equal(decodeStatusMessage("plain text"), "plain text");
  });

  it("keeps malformed escapes as they are, never throwing", () => {
    assert.equal(decodeStatusMessage("%"), "%");
    assert.equal(decodeStatusMessage("100%"), "100%");
    assert.equal(decodeStatusMessage("%4"), "%4");
    assert.equal(decodeStatusMessage("a%zzb"), "a%zzb");
    assert.equal(decodeStatusMessage("%G1"), "%G1");
    assert.equal(decodeStatusMessage("%1G"), "%1G");
    assert.equal(decodeStatusMessage("%%41"), "%A");
    assert.equal(decodeStatusMessage("%25%"), "%%");
    assert.equal(decodeStatusMessage("%41%4"), "A%4");
  });

  it("replaces invalid UTF-8 with U+FFFD and keeps the rest", () => {
    assert.equal(decodeStatusMessage("a%FFb"), "a\ufffdb");
    assert.equal(decodeStatusMessage("x%E6%97"), "x\ufffd");
    assert.equal(decodeStatusMessage("%C3"), "\ufffd");
  });

  it("round-trips any Unicode text (well-formed UTF-16)", () => {
    let s = 12345;
    const next = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s;
    };
    const ranges = [
      [0, 0x7f],
      [0x80, 0x7ff],
      [0x800, 0xd7ff],
      [0xe000, 0xffff],
      [0x10000, 0x10ffff],
    ] as const;
    for (let i = 0; i < 2000; i++) {
      let text = "";
      const len = next() % 20;
      for (let j = 0; j < len; j++) {
        const [lo, hi] = ranges[next() % ranges.length]!;
        text += String.fromCodePoint(lo + (next() % (hi - lo + 1)));
      }
      assert.equal(decodeStatusMessage(encodeStatusMessage(text)), text);
    }
    for (const text of ["%", "%25", "%%%", "ok", "naïve — “quoted” ✓", "\u0000\u001f", "a%2"]) {
      assert.equal(decodeStatusMessage(encodeStatusMessage(text)), text);
    }
  });
});
