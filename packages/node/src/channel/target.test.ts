import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTarget } from "./target.js";

describe("parseTarget", () => {
  it("host:port and bare hosts are DNS names (default port 443)", () => {
    assert.deepEqual(parseTarget("localhost:50051"), {
      scheme: "dns",
      host: "localhost",
      port: 50051,
      authority: "localhost:50051",
    });
    assert.deepEqual(parseTarget("example.com"), {
      scheme: "dns",
      host: "example.com",
      port: 443,
      authority: "example.com:443",
    });
    assert.deepEqual(parseTarget("127.0.0.1:0"), {
      scheme: "dns",
      host: "127.0.0.1",
      port: 0,
      authority: "127.0.0.1:0",
    });
  });

  it("dns: with and without an authority", () => {
    assert.deepEqual(parseTarget("dns:///localhost:8080"), {
      scheme: "dns",
      host: "localhost",
      port: 8080,
      authority: "localhost:8080",
    });
    assert.deepEqual(parseTarget("dns://8.8.8.8/example.com:9"), {
      scheme: "dns",
      host: "example.com",
      port: 9,
      authority: "example.com:9",
    });
    assert.deepEqual(parseTarget("dns:localhost:7"), {
      scheme: "dns",
      host: "localhost",
      port: 7,
      authority: "localhost:7",
    });
    assert.equal((parseTarget("dns:///example.com") as { port: number }).port, 443);
  });

  it("bracketed IPv6 hosts", () => {
    assert.deepEqual(parseTarget("[::1]:50051"), {
      scheme: "dns",
      host: "::1",
      port: 50051,
      authority: "[::1]:50051",
    });
    assert.deepEqual(parseTarget("dns:///[fe80::1]:1"), {
      scheme: "dns",
      host: "fe80::1",
      port: 1,
      authority: "[fe80::1]:1",
    });
  });

  it("ipv4: one or several addresses", () => {
    assert.deepEqual(parseTarget("ipv4:127.0.0.1:1234"), {
      scheme: "ipv4",
      addresses: [{ host: "127.0.0.1", port: 1234 }],
      authority: "127.0.0.1:1234",
    });
    assert.deepEqual(parseTarget("ipv4:127.0.0.1:1,127.0.0.2:2,127.0.0.3"), {
      scheme: "ipv4",
      addresses: [
        { host: "127.0.0.1", port: 1 },
        { host: "127.0.0.2", port: 2 },
        { host: "127.0.0.3", port: 443 },
      ],
      authority: "127.0.0.1:1",
    });
  });

  it("ipv6: bracketed with a port, or bare", () => {
    assert.deepEqual(parseTarget("ipv6:[::1]:1234"), {
      scheme: "ipv6",
      addresses: [{ host: "::1", port: 1234 }],
      authority: "[::1]:1234",
    });
    assert.deepEqual(parseTarget("ipv6:[::1]:1,[2001:db8::2]:2"), {
      scheme: "ipv6",
      addresses: [
        { host: "::1", port: 1 },
        { host: "2001:db8::2", port: 2 },
      ],
      authority: "[::1]:1",
    });
    assert.deepEqual(parseTarget("ipv6:::1"), {
      scheme: "ipv6",
      addresses: [{ host: "::1", port: 443 }],
      authority: "[::1]:443",
    });
  });

  it("unix: relative and absolute paths", () => {
    assert.deepEqual(parseTarget("unix:/tmp/grpc.sock"), {
      scheme: "unix",
      path: "/tmp/grpc.sock",
      authority: "localhost",
    });
    assert.deepEqual(parseTarget("unix:///tmp/grpc.sock"), {
      scheme: "unix",
      path: "/tmp/grpc.sock",
      authority: "localhost",
    });
    assert.deepEqual(parseTarget("unix:relative.sock"), {
      scheme: "unix",
      path: "relative.sock",
      authority: "localhost",
    });
  });

  for (const [target, pattern] of [
    ["http://localhost:1", /not supported/],
    ["localhost:abc", /invalid port/],
    ["localhost:70000", /invalid port/],
    ["localhost:", /invalid port/],
    ["unix:", /no socket path/],
    ["ipv4:", /no address/],
    ["[::1", /unclosed/],
    ["[::1]x", /malformed/],
    ["dns://authority-only", /missing the host/],
    [":50051", /no host/],
  ] as const) {
    it(`rejects ${JSON.stringify(target)}`, () => {
      assert.throws(
        () => parseTarget(target),
        (e: unknown) => e instanceof TypeError && pattern.test(e.message),
      );
    });
  }
});
