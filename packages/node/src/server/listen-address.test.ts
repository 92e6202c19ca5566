import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseListenAddress } from "./listen-address.js";

describe("parseListenAddress", () => {
  it("host:port", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:50051"), { host: "127.0.0.1", port: 50051 });
    assert.deepEqual(parseListenAddress("localhost:0"), { host: "localhost", port: 0 });
    assert.deepEqual(parseListenAddress("0.0.0.0:65535"), { host: "0.0.0.0", port: 65535 });
  });

  it(":port listens on all interfaces", () => {
    assert.deepEqual(parseListenAddress(":8080"), { host: "::", port: 8080 });
  });

  it("[ipv6]:port", () => {
    assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0 });
    assert.deepEqual(parseListenAddress("[::]:443"), { host: "::", port: 443 });
  });

  it("unix: paths", () => {
    assert.deepEqual(parseListenAddress("unix:/tmp/s.sock"), { path: "/tmp/s.sock" });
    assert.deepEqual(parseListenAddress("unix:///tmp/s.sock"), { path: "/tmp/s.sock" });
    assert.deepEqual(parseListenAddress("unix:rel.sock"), { path: "rel.sock" });
  });

  for (const [address, pattern] of [
    ["localhost", /no port/],
    ["::1:80", /\[addr\]:port/],
    ["[::1]", /\[ipv6\]:port/],
    ["[::1:80", /\[ipv6\]:port/],
    ["host:", /invalid port/],
    ["host:65536", /invalid port/],
    ["host:-1", /invalid port/],
    ["host:1.5", /invalid port/],
    ["unix:", /no socket path/],
  ] as const) {
    it(`rejects ${JSON.stringify(address)}`, () => {
      assert.throws(
        () => parseListenAddress(address),
        (e: unknown) => e instanceof TypeError && pattern.test(e.message),
      );
    });
  }
});
