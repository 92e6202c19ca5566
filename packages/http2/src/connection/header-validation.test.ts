import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isValidFieldName,
  isValidFieldValue,
  type RequestInfo,
  validateRequestHeaders,
  validateTrailers,
} from "./header-validation.js";

const BASE = [":method", "POST", ":scheme", "https", ":path", "/a", ":authority", "h"];

function check(fields: string[]): string | undefined {
  const info: RequestInfo = { contentLength: -1 };
  return validateRequestHeaders(fields, info);
}

describe("RFC 9113 §8.2.1 field names and values", () => {
  test("names: lowercase visible ASCII without colon, not empty", () => {
    for (const ok of ["a", "content-type", "x-!#$%&'*+-.^_`|~09", "grpc-trace-bin"])
      assert.ok(isValidFieldName(ok), ok);
    for (const bad of ["", "A", "x-Upper", "a b", "a:b", "a\u0000", "a\u007f", "\u00e9", "a\tb", ":path"]) {
      assert.equal(isValidFieldName(bad), false, JSON.stringify(bad));
    }
  });

  test("values: no NUL, CR, LF; no leading or trailing SP/HTAB; other octets fine", () => {
    for (const ok of ["", "a", "a b", "a\tb", "\u00ff\u0080", '"quoted"'])
      assert.ok(isValidFieldValue(ok), ok);
    for (const bad of ["a\u0000", "a\rb", "a\nb", " a", "a ", "\ta", "a\t", "\u0100"]) {
      assert.equal(isValidFieldValue(bad), false, JSON.stringify(bad));
    }
  });
});

describe("RFC 9113 §8.3.1 request pseudo-headers, §8.2.2 connection-specific fields", () => {
  test("a complete request is valid; :authority is optional", () => {
    assert.equal(check(BASE), undefined);
    assert.equal(check([":method", "GET", ":scheme", "http", ":path", "/"]), undefined);
    assert.equal(check([...BASE, "te", "trailers", "content-type", "application/grpc"]), undefined);
  });

  test("malformed requests are explained", () => {
    const cases: [string[], RegExp][] = [
      [[":method", "GET", ":scheme", "http"], /:path/],
      [[":method", "GET", ":path", "/"], /:scheme/],
      [[":scheme", "http", ":path", "/"], /:method/],
      [[":method", "GET", ":scheme", "http", ":path", ""], /:path/],
      [[...BASE, ":path", "/b"], /duplicate :path/],
      [[...BASE, ":authority", "x"], /duplicate :authority/],
      [[...BASE, ":scheme", "x"], /duplicate :scheme/],
      [[":method", "GET", "x", "1", ":scheme", "http", ":path", "/"], /after a regular field/],
      [[...BASE, ":status", "200"], /not one of a request/],
      [[...BASE, ":protocol", "websocket"], /not one of a request/],
      [[...BASE, "Content-Type", "x"], /invalid field name/],
      [[...BASE, "connection", "close"], /connection-specific/],
      [[...BASE, "keep-alive", "1"], /connection-specific/],
      [[...BASE, "proxy-connection", "1"], /connection-specific/],
      [[...BASE, "transfer-encoding", "chunked"], /connection-specific/],
      [[...BASE, "upgrade", "h2c"], /connection-specific/],
      [[...BASE, "te", "trailers, deflate"], /te/],
      [[...BASE, "x", "bad\nvalue"], /invalid value/],
      [[":method", "GET\r", ":scheme", "http", ":path", "/"], /invalid value/],
      [[...BASE, "content-length", "12a"], /content-length/],
      [[...BASE, "content-length", ""], /content-length/],
      [[...BASE, "content-length", "1", "content-length", "1"], /duplicate content-length/],
    ];
    for (const [fields, why] of cases) assert.match(check(fields) ?? "(valid)", why, JSON.stringify(fields));
  });

  test("CONNECT: :authority required, :scheme and :path absent", () => {
    assert.equal(check([":method", "CONNECT", ":authority", "h:443"]), undefined);
    assert.match(check([":method", "CONNECT"]) ?? "", /:authority/);
    assert.match(check([":method", "CONNECT", ":authority", "h", ":path", "/"]) ?? "", /CONNECT/);
  });

  test("content-length is reported", () => {
    const info: RequestInfo = { contentLength: -1 };
    assert.equal(validateRequestHeaders([...BASE, "content-length", "42"], info), undefined);
    assert.equal(info.contentLength, 42);
    assert.equal(validateRequestHeaders(BASE, info), undefined);
    assert.equal(info.contentLength, -1);
  });
});

describe("trailers (§8.1)", () => {
  test("regular fields only", () => {
    assert.equal(validateTrailers(["grpc-status", "0", "x-a", "b"]), undefined);
    assert.match(validateTrailers([":status", "200"]) ?? "", /pseudo-header/);
    assert.match(validateTrailers(["X", "1"]) ?? "", /invalid field name/);
    assert.match(validateTrailers(["connection", "close"]) ?? "", /connection-specific/);
  });
});
