// The resolvers whose answer is in the target: ipv4/ipv6 lists, unix sockets, passthrough.
import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { describe, it } from "node:test";
import { createResolverRegistry, defaultResolverOptions } from "./registry.js";
import type { Resolver, ResolverResult } from "./resolver.js";
import { parseTarget } from "./target.js";

const registry = createResolverRegistry();
const options = defaultResolverOptions();

function create(text: string): Resolver {
  const target = parseTarget(text, registry);
  return registry.get(target.scheme)!.create(target, options);
}

function authority(text: string): string {
  const target = parseTarget(text, registry);
  return registry.get(target.scheme)!.defaultAuthority(target);
}

/** Starts the resolver; checks nothing arrives inside `start`; returns every result within 50 ms. */
async function results(resolver: Resolver): Promise<ResolverResult[]> {
  const got: ResolverResult[] = [];
  resolver.start({ onResult: (r) => got.push(r), onError: (e) => assert.fail(e) });
  assert.equal(got.length, 0, "no result inside start");
  resolver.resolveNow();
  await new Promise((resolve) => setTimeout(resolve, 50));
  resolver.close();
  return got;
}

const hosts = (result: ResolverResult) => result.endpoints.map((e) => e.addresses);

describe("ipv4: and ipv6:", () => {
  it("one endpoint per address, port 443 by default, delivered once", async () => {
    const got = await results(create("ipv4:1.2.3.4:5,1.2.3.5"));
    assert.equal(got.length, 1);
    assert.deepEqual(hosts(got[0]!), [[{ host: "1.2.3.4", port: 5 }], [{ host: "1.2.3.5", port: 443 }]]);
    const v6 = await results(create("ipv6:[::1]:5,[::2]:6,::3"));
    assert.deepEqual(hosts(v6[0]!), [
      [{ host: "::1", port: 5 }],
      [{ host: "::2", port: 6 }],
      [{ host: "::3", port: 443 }],
    ]);
    assert.deepEqual(hosts((await results(create("ipv4:///10.0.0.1:7")))[0]!), [
      [{ host: "10.0.0.1", port: 7 }],
    ]);
  });

  it("the authority is the first address", () => {
    assert.equal(authority("ipv4:1.2.3.4:5,1.2.3.5:6"), "1.2.3.4:5");
    assert.equal(authority("ipv4:1.2.3.4"), "1.2.3.4:443");
    assert.equal(authority("ipv6:[::1]:5,[::2]:6"), "[::1]:5");
    assert.equal(authority("ipv6:::1"), "[::1]:443");
  });

  it("rejects what is not an address of the family, naming it", () => {
    const bad: [string, RegExp][] = [
      ["ipv4:1.2.3.4,example.com", /"example\.com" is not an ipv4 address/],
      ["ipv4:::1", /"::1" is not an ipv4 address/],
      ["ipv6:1.2.3.4", /"1\.2\.3\.4" is not an ipv6 address/],
      ["ipv6:[1.2.3.4]:5", /not an IPv6 address/],
      ["ipv4:1.2.3.4:0", /invalid port "0"/],
      ["ipv4:1.2.3.4:70000", /invalid port/],
      ["ipv4:1.2.3.4:", /invalid port ""/],
      ["ipv4:", /lists no address/],
      ["ipv4:1.2.3.4,,1.2.3.5", /no host/],
      ["ipv6:[::1", /unclosed/],
      ["ipv6:[::1]x", /after "]"/],
      ["ipv4://auth/1.2.3.4", /takes no authority/],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => create(text),
        (e: unknown) => e instanceof TypeError && message.test(e.message),
        text,
      );
      assert.throws(() => authority(text), TypeError, text);
    }
  });
});

describe("unix: and unix-abstract:", () => {
  it("socket paths, relative or absolute, with authority localhost", async () => {
    assert.deepEqual(hosts((await results(create("unix:rel/sock")))[0]!), [[{ path: "rel/sock" }]]);
    assert.deepEqual(hosts((await results(create("unix:/abs/sock")))[0]!), [[{ path: "/abs/sock" }]]);
    assert.deepEqual(hosts((await results(create("unix:///abs/sock")))[0]!), [[{ path: "/abs/sock" }]]);
    assert.deepEqual(hosts((await results(create("unix-abstract:name")))[0]!), [[{ path: "\0name" }]]);
    assert.equal(authority("unix:///abs/sock"), "localhost");
    assert.equal(authority("unix-abstract:name"), "localhost");
  });

  it("rejects an empty path, an authority and NUL bytes", () => {
    for (const text of [
      "unix:",
      "unix://",
      "unix:///",
      "unix://host/abs",
      "unix:a\0b",
      "unix-abstract:",
      "unix-abstract:a\0b",
      "unix-abstract:///x",
    ]) {
      assert.throws(() => create(text), TypeError, JSON.stringify(text));
    }
  });

  it("an abstract socket name reaches a real abstract socket (Linux)", {
    skip: process.platform === "linux" ? false : "abstract sockets are Linux's",
  }, async () => {
    const name = `grpc-ts-resolver-test-${process.pid}`;
    const server = net.createServer((s) => s.end("hi"));
    server.listen(`\0${name}`);
    await once(server, "listening");
    try {
      const address = hosts((await results(create(`unix-abstract:${name}`)))[0]!)[0]![0]!;
      assert.ok("path" in address);
      const socket = net.connect(address.path);
      const [data] = (await once(socket, "data", { signal: AbortSignal.timeout(5000) })) as [Buffer];
      assert.equal(data.toString(), "hi");
      socket.destroy();
    } finally {
      server.close();
    }
  });
});

describe("passthrough:", () => {
  it("hands the host to the socket unresolved", async () => {
    assert.deepEqual(hosts((await results(create("passthrough:///my.host:50051")))[0]!), [
      [{ host: "my.host", port: 50051 }],
    ]);
    assert.deepEqual(hosts((await results(create("passthrough:my.host")))[0]!), [
      [{ host: "my.host", port: 443 }],
    ]);
    assert.deepEqual(hosts((await results(create("passthrough:///[::1]:5")))[0]!), [
      [{ host: "::1", port: 5 }],
    ]);
  });

  it("the authority is the endpoint as written", () => {
    assert.equal(authority("passthrough:///my.host:50051"), "my.host:50051");
    assert.equal(authority("passthrough:///my.host"), "my.host");
  });

  it("rejects an empty endpoint, a bad port and an authority", () => {
    for (const text of ["passthrough:///", "passthrough:///h:x", "passthrough://a/h:5"])
      assert.throws(() => create(text), TypeError, text);
  });
});

describe("static resolvers", () => {
  it("deliver nothing after close, and start only once", async () => {
    const resolver = create("ipv4:1.2.3.4");
    const got: ResolverResult[] = [];
    resolver.start({ onResult: (r) => got.push(r), onError: (e) => assert.fail(e) });
    resolver.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(got.length, 0);
    const listener = { onResult: () => assert.fail("no result"), onError: (e: Error) => assert.fail(e) };
    assert.throws(() => resolver.start(listener), /already started/);
  });
});
