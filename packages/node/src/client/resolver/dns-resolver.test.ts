// The dns resolver against a fake clock and fake DNS answers: no network.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, RpcError } from "@grpc-ts/core";
import type { Clock, TimerHandle } from "../clock.js";
import type { DnsQueries } from "./dns-queries.js";
import { createDnsResolverFactory } from "./dns-resolver.js";
import { createResolverRegistry, defaultResolverOptions } from "./registry.js";
import type { Resolver, ResolverOptions, ResolverResult } from "./resolver.js";
import { parseTarget } from "./target.js";

class FakeClock implements Clock {
  time = 1_000_000;
  #timers: { due: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { due: this.time + ms, fn, live: true };
    this.#timers.push(timer);
    const cancel = () => {
      timer.live = false;
    };
    return { cancel, unref() {}, ref() {} };
  }

  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  /** Moves time on by `ms`, running the timers that fall due, in order, and what they start. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.live && t.due <= end).sort((a, b) => a.due - b.due)[0];
      if (next === undefined) break;
      this.time = next.due;
      next.live = false;
      next.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function dnsError(code: string, message = `query ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** DNS answers the test controls: `answer` says what each question gets (a value or an error). */
class FakeDns {
  servers: (string | undefined)[] = [];
  asked: string[] = [];
  txtAsked: string[] = [];
  cancelled = 0;
  answer: (host: string) => Promise<readonly string[]> = async () => ["10.0.0.1", "10.0.0.2"];
  txt: (name: string) => Promise<readonly (readonly string[])[]> = async () => {
    throw dnsError("ENODATA");
  };

  readonly factory = (server: string | undefined): DnsQueries => {
    this.servers.push(server);
    return {
      addresses: (host) => {
        this.asked.push(host);
        return this.answer(host);
      },
      txt: (name) => {
        this.txtAsked.push(name);
        return this.txt(name);
      },
      cancel: () => void this.cancelled++,
    };
  };
}

interface Setup {
  readonly clock: FakeClock;
  readonly dns: FakeDns;
  readonly resolver: Resolver;
  readonly results: ResolverResult[];
  readonly errors: RpcError[];
}

const registry = createResolverRegistry();

function setup(
  text: string,
  options: Partial<ResolverOptions> = {},
  hostname = "client-1",
  random = 0.42,
): Setup {
  const clock = new FakeClock();
  const dns = new FakeDns();
  const factory = createDnsResolverFactory({
    queries: dns.factory,
    hostname: () => hostname,
    random: () => random,
  });
  const target = parseTarget(text, registry);
  const resolver = factory.create(target, defaultResolverOptions({ clock, ...options }));
  const results: ResolverResult[] = [];
  const errors: RpcError[] = [];
  return { clock, dns, resolver, results, errors };
}

function start(s: Setup): void {
  s.resolver.start({ onResult: (r) => s.results.push(r), onError: (e) => s.errors.push(e) });
}

const addresses = (r: ResolverResult) => r.endpoints.map((e) => e.addresses);

describe("dns resolver", () => {
  it("resolves on start, never inside it: one endpoint per address, port 443 by default", async () => {
    const s = setup("dns:///svc.test");
    start(s);
    assert.equal(s.results.length, 0, "nothing inside start");
    await settle();
    assert.deepEqual(s.dns.asked, ["svc.test"]);
    assert.deepEqual(s.dns.servers, [undefined]);
    assert.deepEqual(addresses(s.results[0]!), [
      [{ host: "10.0.0.1", port: 443 }],
      [{ host: "10.0.0.2", port: 443 }],
    ]);
    assert.equal(s.results[0]!.note, "resolved by the system resolver");
    assert.equal(s.results[0]!.serviceConfig, undefined);
    assert.deepEqual(s.dns.txtAsked, [], "no TXT lookup unless dnsServiceConfig");
    s.resolver.close();
  });

  it("keeps the order of the answer, IPv6 and IPv4 alike", async () => {
    const s = setup("svc.test:50051");
    s.dns.answer = async () => ["::2", "10.0.0.3", "::1"];
    start(s);
    await settle();
    assert.deepEqual(addresses(s.results[0]!), [
      [{ host: "::2", port: 50051 }],
      [{ host: "10.0.0.3", port: 50051 }],
      [{ host: "::1", port: 50051 }],
    ]);
    s.resolver.close();
  });

  it("asks the DNS server the authority names (port 53 by default)", async () => {
    for (const [text, server] of [
      ["dns://127.0.0.1:5353/svc.test:5", "127.0.0.1:5353"],
      ["dns://127.0.0.1/svc.test", "127.0.0.1:53"],
      ["dns://[::1]:5353/svc.test", "[::1]:5353"],
    ] as const) {
      const s = setup(text);
      start(s);
      await settle();
      assert.deepEqual(s.dns.servers, [server]);
      assert.equal(s.results[0]!.note, `resolved by ${server}`);
      s.resolver.close();
    }
  });

  it("an IP address is its own answer, with no DNS query", async () => {
    for (const [text, host, port] of [
      ["127.0.0.1:5", "127.0.0.1", 5],
      ["dns:///[::1]:6", "::1", 6],
      ["::1", "::1", 443],
      ["dns://127.0.0.1:5353/10.1.2.3", "10.1.2.3", 443],
    ] as const) {
      const s = setup(text);
      start(s);
      assert.equal(s.results.length, 0);
      await settle();
      assert.deepEqual(s.dns.servers, []);
      assert.deepEqual(addresses(s.results[0]!), [[{ host, port }]]);
      s.resolver.resolveNow();
      await s.clock.advance(60_000);
      assert.equal(s.results.length, 1);
      s.resolver.close();
    }
  });

  it("resolveNow inside the minimum interval waits for its end; more requests add nothing", async () => {
    const s = setup("dns:///svc.test", { dnsMinResolutionIntervalMs: 30_000 });
    start(s);
    await settle();
    assert.equal(s.dns.asked.length, 1);
    await s.clock.advance(10_000);
    s.resolver.resolveNow();
    s.resolver.resolveNow();
    await s.clock.advance(5_000);
    s.resolver.resolveNow();
    await s.clock.advance(14_999);
    assert.equal(s.dns.asked.length, 1, "not before 30 s after the last start");
    assert.equal(s.clock.pending, 1, "one resolution kept for the interval's end");
    await s.clock.advance(1);
    assert.equal(s.dns.asked.length, 2);
    assert.equal(s.results.length, 2);
    assert.equal(s.clock.pending, 0, "no periodic resolution unless configured");
    // After the interval a request is answered at once.
    await s.clock.advance(30_000);
    s.resolver.resolveNow();
    await settle();
    assert.equal(s.dns.asked.length, 3);
    s.resolver.close();
  });

  it("a request while a resolution is in flight is answered by that resolution", async () => {
    const s = setup("dns:///svc.test", { dnsMinResolutionIntervalMs: 0 });
    let release!: (value: readonly string[]) => void;
    s.dns.answer = () => new Promise((resolve) => (release = resolve));
    start(s);
    s.resolver.resolveNow();
    s.resolver.resolveNow();
    await s.clock.advance(1000);
    assert.equal(s.dns.asked.length, 1);
    release(["10.9.9.9"]);
    await settle();
    assert.equal(s.results.length, 1);
    s.resolver.resolveNow();
    assert.equal(s.dns.asked.length, 2, "with a zero interval the next request goes at once");
    release(["10.9.9.8"]);
    await settle();
    assert.deepEqual(addresses(s.results[1]!), [[{ host: "10.9.9.8", port: 443 }]]);
    s.resolver.close();
  });

  it("resolves periodically when dnsPeriodicResolutionMs is set", async () => {
    const s = setup("dns:///svc.test", { dnsPeriodicResolutionMs: 10_000 });
    start(s);
    await settle();
    await s.clock.advance(9_999);
    assert.equal(s.dns.asked.length, 1);
    await s.clock.advance(1);
    assert.equal(s.dns.asked.length, 2);
    await s.clock.advance(20_000);
    assert.equal(s.dns.asked.length, 4);
    assert.equal(s.results.length, 4, "each resolution is delivered, changed or not");
    s.resolver.close();
    assert.equal(s.clock.pending, 0);
    await s.clock.advance(60_000);
    assert.equal(s.dns.asked.length, 4);
  });

  it("close cancels timers and queries and drops late answers", async () => {
    const s = setup("dns:///svc.test", { dnsMinResolutionIntervalMs: 30_000 });
    let release!: (value: readonly string[]) => void;
    s.dns.answer = () => new Promise((resolve) => (release = resolve));
    start(s);
    release(["10.0.0.1"]);
    await settle();
    s.resolver.resolveNow();
    assert.equal(s.clock.pending, 1);
    s.resolver.close();
    assert.equal(s.clock.pending, 0);
    assert.equal(s.dns.cancelled, 1);
    // A late answer: a resolution in flight when close is called.
    const t = setup("dns:///svc.test");
    t.dns.answer = () => new Promise((resolve) => (release = resolve));
    start(t);
    t.resolver.close();
    release(["10.0.0.1"]);
    await settle();
    assert.deepEqual(t.results, []);
    assert.deepEqual(t.errors, []);
    t.resolver.resolveNow();
    assert.equal(t.dns.asked.length, 1);
  });

  it("a failure is UNAVAILABLE naming the host, the DNS error and the server; a later request may succeed", async () => {
    const s = setup("dns://127.0.0.1:5353/nope.test:5", { dnsMinResolutionIntervalMs: 0 });
    s.dns.answer = async () => {
      throw dnsError("ENOTFOUND", "queryA ENOTFOUND nope.test");
    };
    start(s);
    await settle();
    assert.equal(s.results.length, 0);
    const error = s.errors[0]!;
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(
      error.rawMessage,
      'DNS resolution of "nope.test" failed: queryA ENOTFOUND nope.test (DNS server 127.0.0.1:5353)',
    );
    assert.equal((error.cause as { code?: string }).code, "ENOTFOUND");
    assert.equal(s.clock.pending, 0, "it waits to be asked again");
    s.dns.answer = async () => ["10.0.0.7"];
    s.resolver.resolveNow();
    await settle();
    assert.deepEqual(addresses(s.results[0]!), [[{ host: "10.0.0.7", port: 5 }]]);
    s.resolver.close();
  });

  it("system-resolver failures carry the DNS error text without a server", async () => {
    const s = setup("nope.test");
    s.dns.answer = async () => {
      throw dnsError("ENOTFOUND", "getaddrinfo ENOTFOUND nope.test");
    };
    start(s);
    await settle();
    assert.equal(
      s.errors[0]!.rawMessage,
      'DNS resolution of "nope.test" failed: getaddrinfo ENOTFOUND nope.test',
    );
    s.resolver.close();
  });

  it("rejects targets that are not host[:port] (with an IP server), naming them", () => {
    const factory = createDnsResolverFactory({ queries: new FakeDns().factory });
    const bad: [string, RegExp][] = [
      ["dns:///", /has no host/],
      ["dns://127.0.0.1:53", /has no host/],
      ["dns:///bad host:5", /"bad host" is not a host name/],
      ["dns:///a..b", /not a host name/],
      ["dns:///h:0", /invalid port "0"/],
      ["dns:///h:http", /invalid port "http"/],
      ["dns://dns.example/h", /DNS server "dns.example" is not an IP address/],
      ["xds:///svc", /the scheme "xds" is not in the channel's resolver registry/],
      [":50051", /no host/],
    ];
    for (const [text, message] of bad) {
      const target = parseTarget(text, registry);
      const check = (e: unknown) =>
        e instanceof TypeError && message.test(e.message) && e.message.includes(text);
      assert.throws(() => factory.create(target, defaultResolverOptions()), check, text);
      assert.throws(() => factory.defaultAuthority(target), check, text);
    }
  });

  it("the authority is the endpoint as given", () => {
    const factory = createDnsResolverFactory();
    for (const [text, authority] of [
      ["dns:///svc.test:50051", "svc.test:50051"],
      ["dns://127.0.0.1:5353/svc.test", "svc.test"],
      ["localhost:50051", "localhost:50051"],
      ["[::1]:5", "[::1]:5"],
    ] as const)
      assert.equal(factory.defaultAuthority(parseTarget(text, registry)), authority);
  });
});

describe("dns resolver: service config from TXT", () => {
  const record = (json: unknown) => [[`grpc_config=${JSON.stringify(json)}`]];

  it("reads _grpc_config.<host> and delivers the chosen serviceConfig with the addresses", async () => {
    const s = setup("dns:///svc.test", { dnsServiceConfig: true });
    s.dns.txt = async () => [
      ["v=spf1 -all"],
      ...record([
        { clientLanguage: ["go"], serviceConfig: { loadBalancingPolicy: "pick_first" } },
        { clientLanguage: ["TypeScript"], serviceConfig: { loadBalancingPolicy: "round_robin" } },
      ]),
    ];
    start(s);
    await settle();
    assert.deepEqual(s.dns.txtAsked, ["_grpc_config.svc.test"]);
    assert.deepEqual(s.results[0]!.serviceConfig, { loadBalancingPolicy: "round_robin" });
    assert.equal(s.results[0]!.serviceConfigError, undefined);
    assert.equal(s.results[0]!.endpoints.length, 2);
    s.resolver.close();
  });

  it("no TXT record (ENODATA, ENOTFOUND) is no config and no error", async () => {
    for (const code of ["ENODATA", "ENOTFOUND"]) {
      const s = setup("dns:///svc.test", { dnsServiceConfig: true });
      s.dns.txt = async () => {
        throw dnsError(code);
      };
      start(s);
      await settle();
      assert.equal(s.results[0]!.serviceConfig, undefined);
      assert.equal(s.results[0]!.serviceConfigError, undefined);
      assert.equal("serviceConfig" in s.results[0]!, false);
      s.resolver.close();
    }
  });

  it("a malformed record or a failed TXT query is a serviceConfigError beside the addresses", async () => {
    const cases: [() => Promise<readonly (readonly string[])[]>, RegExp][] = [
      [
        async () => [["grpc_config=[{"]],
        /invalid service config in "_grpc_config.svc.test": grpc_config is not JSON/,
      ],
      [async () => record({ serviceConfig: {} }), /not a JSON list of choices/],
      [async () => record([{ serviceConfig: {}, extra: 1 }]), /unknown field "extra"/],
      [
        async () => {
          throw dnsError("ETIMEOUT", "queryTxt ETIMEOUT _grpc_config.svc.test");
        },
        /TXT lookup of "_grpc_config.svc.test" failed: queryTxt ETIMEOUT/,
      ],
    ];
    for (const [txt, message] of cases) {
      const s = setup("dns:///svc.test", { dnsServiceConfig: true });
      s.dns.txt = txt;
      start(s);
      await settle();
      const result = s.results[0]!;
      assert.equal(result.endpoints.length, 2);
      assert.equal(result.serviceConfig, undefined);
      assert.equal(result.serviceConfigError?.code, Code.UNAVAILABLE);
      assert.match(result.serviceConfigError.rawMessage, message);
      s.resolver.close();
    }
  });

  it("an IP address target has no TXT lookup", async () => {
    const s = setup("dns:///10.0.0.1", { dnsServiceConfig: true });
    start(s);
    await settle();
    assert.deepEqual(s.dns.txtAsked, []);
    s.resolver.close();
  });

  it("clientHostname and percentage use the injected hostname and draw", async () => {
    const choices = [
      { clientHostname: ["other"], serviceConfig: { n: 1 } },
      { percentage: 42, serviceConfig: { n: 2 } },
      { percentage: 43, clientHostname: ["client-1"], serviceConfig: { n: 3 } },
    ];
    const s = setup("dns:///svc.test", { dnsServiceConfig: true }, "client-1", 0.42);
    s.dns.txt = async () => record(choices);
    start(s);
    await settle();
    assert.deepEqual(s.results[0]!.serviceConfig, { n: 3 });
    s.resolver.close();
  });
});
