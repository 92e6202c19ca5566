import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makeCerts, type TestCerts } from "../test-support/certs.js";
import { type DemoServer, demoRegistry, lines, runCli, startDemoServer } from "../test-support/demo.js";

const timeout = 120_000;
const request = ["demo.v1.Demo/Unary", "-d", '{"text":"secure"}'];

describe("grpc-ts with TLS", () => {
  let certs: TestCerts;
  let tls: DemoServer;
  let mtls: DemoServer;

  before(async () => {
    certs = await makeCerts();
    const registry = await demoRegistry();
    tls = await startDemoServer(registry, { tls: { key: certs.serverKey, cert: certs.serverCert } });
    mtls = await startDemoServer(registry, {
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, clientCert: "require" },
    });
  });

  after(async () => {
    tls?.close();
    mtls?.close();
    await certs?.remove();
  });

  it("--cacert trusts the server's CA (for reflection and the call)", { timeout }, async () => {
    const run = await runCli(["call", tls.target, ...request, "--cacert", certs.caFile]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"text":"secure"}\n');
    const list = await runCli(["list", `https://${tls.target}`, "--cacert", certs.caFile]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(lines(list.stdout).includes("demo.v1.Demo"));
    const named = await runCli([
      "call",
      tls.target,
      ...request,
      "--cacert",
      certs.caFile,
      "--server-name",
      "localhost",
    ]);
    assert.equal(named.code, 0, named.stderr);
  });

  it("--tls alone does not trust an unknown CA; --insecure skips the check", { timeout }, async () => {
    const untrusted = await runCli(["call", tls.target, ...request, "--tls"]);
    assert.equal(untrusted.code, 64 + 14, untrusted.stderr);
    assert.match(untrusted.stderr, /Code: UNAVAILABLE \(14\)/);
    const insecure = await runCli(["call", tls.target, ...request, "--insecure"]);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.equal(insecure.stdout, '{"text":"secure"}\n');
  });

  it("plaintext to a TLS server fails with UNAVAILABLE", { timeout }, async () => {
    const run = await runCli(["call", tls.target, ...request, "--timeout", "20s"]);
    assert.equal(run.code, 64 + 14, run.stderr);
  });

  it("--cert and --key give the client certificate for mutual TLS", { timeout }, async () => {
    const withCert = await runCli([
      "call",
      mtls.target,
      ...request,
      "--cacert",
      certs.caFile,
      "--cert",
      certs.clientCertFile,
      "--key",
      certs.clientKeyFile,
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.equal(withCert.stdout, '{"text":"secure"}\n');
    const without = await runCli(["call", mtls.target, ...request, "--cacert", certs.caFile]);
    assert.equal(without.code, 64 + 14, without.stderr);
  });

  it("an unreadable --cacert is a usage error", { timeout }, async () => {
    const run = await runCli(["call", tls.target, ...request, "--cacert", "/no/such/ca.pem"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read --cacert \/no\/such\/ca\.pem/);
  });
});
