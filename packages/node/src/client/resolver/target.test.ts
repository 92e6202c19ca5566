import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createResolverRegistry } from "./registry.js";
import { hasAuthoritySection, parseTarget } from "./target.js";

const registry = createResolverRegistry();

describe("parseTarget", () => {
  const table: [text: string, scheme: string, authority: string, endpoint: string][] = [
    ["localhost:50051", "dns", "", "localhost:50051"],
    ["localhost", "dns", "", "localhost"],
    ["127.0.0.1:5", "dns", "", "127.0.0.1:5"],
    ["[::1]:5", "dns", "", "[::1]:5"],
    ["::1", "dns", "", "::1"],
    ["my-host.example.com:443", "dns", "", "my-host.example.com:443"],
    ["dns:///host:50051", "dns", "", "host:50051"],
    ["dns:host:50051", "dns", "", "host:50051"],
    ["DNS:///host", "dns", "", "host"],
    ["dns://127.0.0.1:5353/host:50051", "dns", "127.0.0.1:5353", "host:50051"],
    ["dns://[::1]:5353/host", "dns", "[::1]:5353", "host"],
    ["dns://8.8.8.8", "dns", "8.8.8.8", ""],
    ["unix:relative/sock", "unix", "", "relative/sock"],
    ["unix:/abs/sock", "unix", "", "/abs/sock"],
    ["unix:///abs/sock", "unix", "", "abs/sock"],
    ["unix-abstract:name", "unix-abstract", "", "name"],
    ["ipv4:1.2.3.4:5,1.2.3.5:6", "ipv4", "", "1.2.3.4:5,1.2.3.5:6"],
    ["ipv6:[::1]:5,[::2]:6", "ipv6", "", "[::1]:5,[::2]:6"],
    ["passthrough:///host:port", "passthrough", "", "host:port"],
    // Unknown schemes: the whole text is a dns endpoint (which the dns resolver then rejects).
    ["xds:///svc", "dns", "", "xds:///svc"],
    ["foo:bar", "dns", "", "foo:bar"],
  ];
  for (const [text, scheme, authority, endpoint] of table) {
    it(`${text} → ${scheme} | ${authority} | ${endpoint}`, () => {
      assert.deepEqual(parseTarget(text, registry), { scheme, authority, endpoint, text });
    });
  }

  it("an empty target is a TypeError", () => {
    assert.throws(() => parseTarget("", registry), TypeError);
  });

  it("a scheme is known only when the registry has it", () => {
    const custom = createResolverRegistry([
      { scheme: "xds", create: () => assert.fail("not used"), defaultAuthority: () => "a" },
    ]);
    assert.deepEqual(parseTarget("xds:///svc", custom), {
      scheme: "xds",
      authority: "",
      endpoint: "svc",
      text: "xds:///svc",
    });
  });

  it("tells `unix:///abs` (authority section) from `unix:rel`", () => {
    assert.equal(hasAuthoritySection(parseTarget("unix:///abs", registry)), true);
    assert.equal(hasAuthoritySection(parseTarget("UNIX:///abs", registry)), true);
    assert.equal(hasAuthoritySection(parseTarget("unix:rel", registry)), false);
    assert.equal(hasAuthoritySection(parseTarget("localhost:5", registry)), false);
    assert.equal(hasAuthoritySection(parseTarget("dns:///h", registry)), true);
  });
});
