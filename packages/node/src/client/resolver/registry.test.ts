import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { realClock } from "../clock.js";
import { dnsResolverFactory } from "./dns-resolver.js";
import { createResolverRegistry, defaultResolverOptions } from "./registry.js";
import type { ResolverFactory } from "./resolver.js";
import { createStaticResolver } from "./static-resolver.js";

function fake(scheme: string): ResolverFactory {
  return { scheme, create: () => createStaticResolver({ endpoints: [] }), defaultAuthority: () => "fake" };
}

describe("createResolverRegistry", () => {
  it("has the built-in schemes", () => {
    assert.deepEqual([...createResolverRegistry().keys()].sort(), [
      "dns",
      "ipv4",
      "ipv6",
      "passthrough",
      "unix",
      "unix-abstract",
    ]);
    assert.equal(createResolverRegistry().get("dns"), dnsResolverFactory);
  });

  it("adds custom schemes (in lower case) and lets one replace a built-in", () => {
    const mine = fake("Mine");
    const dns = fake("dns");
    const registry = createResolverRegistry([mine, dns]);
    assert.equal(registry.get("mine"), mine);
    assert.equal(registry.get("dns"), dns);
    assert.equal(registry.size, 7);
  });

  it("each call makes its own registry (no shared state)", () => {
    createResolverRegistry([fake("other")]);
    assert.equal(createResolverRegistry().has("other"), false);
  });

  it("rejects a scheme that is not a URI scheme, and two custom factories of one scheme", () => {
    assert.throws(() => createResolverRegistry([fake("1abc")]), TypeError);
    assert.throws(() => createResolverRegistry([fake("a b")]), TypeError);
    assert.throws(() => createResolverRegistry([fake("x"), fake("X")]), /two custom resolvers/);
  });

  it("default options are gRPC's defaults", () => {
    assert.deepEqual(defaultResolverOptions(), {
      clock: realClock,
      dnsMinResolutionIntervalMs: 30_000,
      dnsPeriodicResolutionMs: undefined,
      dnsServiceConfig: false,
    });
    assert.equal(defaultResolverOptions({ dnsMinResolutionIntervalMs: 0 }).dnsMinResolutionIntervalMs, 0);
  });
});
