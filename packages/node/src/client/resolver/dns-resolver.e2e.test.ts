// The dns resolver against a real DNS server: Debian's dnsmasq on 127.0.0.1, answering from a
// hosts file and a config file this test writes. Skipped (saying what to install) where dnsmasq
// is missing, except in CI, where a missing dnsmasq fails.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Code, type RpcError } from "@grpc-ts/core";
import { DNSMASQ, type Dnsmasq, skipWithout, startDnsmasq } from "@grpc-ts/testing";
import { joinHostPort } from "./host-port.js";
import { createResolverRegistry, defaultResolverOptions } from "./registry.js";
import type { Resolver, ResolverOptions, ResolverResult } from "./resolver.js";
import { parseTarget } from "./target.js";

const WAIT_MS = 10_000;
const HOSTS =
  "127.0.0.2 svc.test\n127.0.0.3 svc.test\n127.0.0.6 plain.test\n127.0.0.5 dual.test\n::5 dual.test\n";

/** `"..."` for a dnsmasq config file: backslash before quotes and backslashes. */
const quoted = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

class Recorder {
  readonly results: ResolverResult[] = [];
  readonly errors: RpcError[] = [];
  #wake: (() => void) | undefined;
  readonly listener = {
    onResult: (r: ResolverResult) => {
      this.results.push(r);
      this.#wake?.();
    },
    onError: (e: RpcError) => {
      this.errors.push(e);
      this.#wake?.();
    },
  };

  /** Waits (bounded) until `done` holds, checking after each delivery. */
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

const addressesOf = (r: ResolverResult | undefined) =>
  r?.endpoints.map((e) =>
    e.addresses.map((a) => ("host" in a ? joinHostPort(a.host, a.port) : a.path)).join(" "),
  );

describe("dns resolver against dnsmasq", { skip: skipWithout(DNSMASQ), timeout: 60_000 }, () => {
  let server: Dnsmasq | undefined;
  const resolvers: Resolver[] = [];
  const registry = createResolverRegistry();
  const longName = "x".repeat(200);

  before(async () => {
    assert.ok(existsSync(DNSMASQ.path), `${DNSMASQ.path} is missing (${DNSMASQ.install})`);
    const choices = [
      { clientLanguage: ["go"], serviceConfig: { loadBalancingPolicy: "pick_first" } },
      {
        clientLanguage: ["node", "typescript"],
        serviceConfig: { loadBalancingConfig: [{ round_robin: {} }] },
      },
    ];
    // More than 255 bytes: dnsmasq sends it as several strings of one record.
    const long = [{ serviceConfig: { methodConfig: [{ name: [{ service: longName }], timeout: "1s" }] } }];
    const conf = [
      `txt-record=_grpc_config.svc.test,${quoted(`grpc_config=${JSON.stringify(choices)}`)}`,
      `txt-record=_grpc_config.dual.test,${quoted(`grpc_config=${JSON.stringify(long)}`)}`,
    ].join("\n");
    server = await startDnsmasq({ hosts: HOSTS, conf, probe: "svc.test" });
  });

  after(async () => {
    for (const r of resolvers) r.close();
    await server?.stop();
  });

  function start(name: string, options: Partial<ResolverOptions> = {}): Recorder & { resolver: Resolver } {
    const target = parseTarget(`dns://127.0.0.1:${server!.port}/${name}`, registry);
    const resolver = registry
      .get(target.scheme)!
      .create(
        target,
        defaultResolverOptions({ dnsMinResolutionIntervalMs: 0, dnsServiceConfig: true, ...options }),
      );
    resolvers.push(resolver);
    const recorder = new Recorder();
    resolver.start(recorder.listener);
    return Object.assign(recorder, { resolver });
  }

  it("resolves the server's A records with the TXT service config; a changed name is seen after SIGHUP and resolveNow", async () => {
    const recorder = start("svc.test:50051");
    await recorder.until(() => recorder.results.length > 0 || recorder.errors.length > 0, "the first result");
    assert.deepEqual(recorder.errors, []);
    const first = recorder.results[0]!;
    // A DNS server may give the records of one name in any order.
    assert.deepEqual(addressesOf(first)?.sort(), ["127.0.0.2:50051", "127.0.0.3:50051"]);
    assert.deepEqual(first.serviceConfig, { loadBalancingConfig: [{ round_robin: {} }] });
    assert.equal(first.serviceConfigError, undefined);
    assert.equal(first.note, `resolved by 127.0.0.1:${server!.port}`);

    await server!.reload(HOSTS.replace("127.0.0.2 svc.test\n127.0.0.3 svc.test\n", "127.0.0.4 svc.test\n"));
    // dnsmasq reads the file after the signal: ask until the answer changes (bounded).
    const deadline = Date.now() + WAIT_MS;
    while (addressesOf(recorder.results.at(-1))?.join() !== "127.0.0.4:50051") {
      assert.ok(Date.now() < deadline, `still ${addressesOf(recorder.results.at(-1))} after SIGHUP`);
      const seen = recorder.results.length + recorder.errors.length;
      recorder.resolver.resolveNow();
      await recorder.until(() => recorder.results.length + recorder.errors.length > seen, "a new result");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(recorder.errors, []);
  });

  it("a name without a TXT record has no service config and no error", async () => {
    const recorder = start("plain.test");
    await recorder.until(() => recorder.results.length > 0 || recorder.errors.length > 0, "the result");
    assert.deepEqual(addressesOf(recorder.results[0]), ["127.0.0.6:443"]);
    assert.equal(recorder.results[0]!.serviceConfig, undefined);
    assert.equal(recorder.results[0]!.serviceConfigError, undefined);
  });

  it("IPv6 and IPv4 addresses, and a TXT record longer than one DNS string", async () => {
    const recorder = start("dual.test:7");
    await recorder.until(() => recorder.results.length > 0 || recorder.errors.length > 0, "the result");
    assert.deepEqual(recorder.errors, []);
    assert.deepEqual(addressesOf(recorder.results[0]), ["[::5]:7", "127.0.0.5:7"]);
    const config = recorder.results[0]!.serviceConfig as { methodConfig: { name: { service: string }[] }[] };
    assert.equal(config.methodConfig[0]!.name[0]!.service, longName);
  });

  it("a name the server does not know is UNAVAILABLE, naming the host, the error and the server", async () => {
    const recorder = start("nope.test:5");
    await recorder.until(() => recorder.errors.length > 0 || recorder.results.length > 0, "the error");
    assert.deepEqual(recorder.results, []);
    const error = recorder.errors[0]!;
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(
      error.rawMessage,
      `DNS resolution of "nope.test" failed: queryA ENOTFOUND nope.test (DNS server 127.0.0.1:${server!.port})`,
    );
  });
});
