import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, createChannel, createClient, createServer, type Server } from "@grpc-ts/node";
import { isRpcError, within } from "@grpc-ts/testing";
import { Health, HealthCheckResponse_ServingStatus as S } from "../gen/grpc/health/v1/health_pb.js";
import { addHealth } from "./add-health.js";
import type { HealthReporter } from "./health.js";

/** Reads the next message of a stream, failing after 5 s instead of hanging. */
const next = <T>(it: AsyncIterator<T>): Promise<IteratorResult<T>> =>
  within(it.next(), 5000, "the next message");

describe("health over a real server", () => {
  let server: Server;
  let health: HealthReporter;
  let target: string;

  before(async () => {
    server = createServer();
    health = addHealth(server, { statuses: { "": "SERVING", "acme.Shop": "NOT_SERVING" } });
    target = `127.0.0.1:${await server.listen("127.0.0.1:0")}`;
  });
  after(() => server.forceShutdown());

  it("Check answers each status, and NOT_FOUND for an unknown service", async () => {
    const channel = createChannel(target);
    const client = createClient(Health, channel);
    try {
      assert.equal((await client.check({ service: "" }, { timeoutMs: 5000 })).status, S.SERVING);
      assert.equal((await client.check({ service: "acme.Shop" })).status, S.NOT_SERVING);
      await assert.rejects(client.check({ service: "nope" }), isRpcError(Code.NOT_FOUND));
      health.setStatus("acme.Shop", "SERVING");
      assert.equal((await client.check({ service: "acme.Shop" })).status, S.SERVING);
      const list = await client.list({});
      assert.deepEqual(Object.fromEntries(Object.entries(list.statuses).map(([k, v]) => [k, v.status])), {
        "": S.SERVING,
        "acme.Shop": S.SERVING,
      });
    } finally {
      channel.close();
    }
  });

  it("Watch streams the current status and each change; SERVICE_UNKNOWN for an unknown service", async () => {
    const channel = createChannel(target);
    const client = createClient(Health, channel);
    const abort = new AbortController();
    try {
      const watched = client
        .watch({ service: "later.Service" }, { signal: abort.signal })
        [Symbol.asyncIterator]();
      assert.equal((await next(watched)).value?.status, S.SERVICE_UNKNOWN);
      health.setStatus("later.Service", "SERVING");
      assert.equal((await next(watched)).value?.status, S.SERVING);
      health.setStatus("later.Service", "NOT_SERVING");
      assert.equal((await next(watched)).value?.status, S.NOT_SERVING);
      abort.abort();
      await assert.rejects(next(watched), isRpcError(Code.CANCELLED));
    } finally {
      channel.close();
    }
  });
});

describe("health when the server shuts down", () => {
  it("sends NOT_SERVING to watchers first, then ends their streams, so a graceful shutdown is not held up", async () => {
    const server = createServer();
    const health = addHealth(server);
    const target = `127.0.0.1:${await server.listen("127.0.0.1:0")}`;
    const channel = createChannel(target);
    const client = createClient(Health, channel);
    try {
      const watched = client.watch({ service: "" })[Symbol.asyncIterator]();
      assert.equal((await next(watched)).value?.status, S.SERVING);
      // A grace period far longer than the test's time bound: the shutdown only completes in
      // time because the health service ends its Watch calls.
      const stopped = server.shutdown(10 * 60_000);
      assert.equal(health.getStatus(""), "NOT_SERVING");
      assert.equal((await next(watched)).value?.status, S.NOT_SERVING);
      await assert.rejects(next(watched), isRpcError(Code.UNAVAILABLE));
      await stopped;
      // Later changes are ignored: the server is going away.
      health.setStatus("", "SERVING");
      assert.equal(health.getStatus(""), "NOT_SERVING");
    } finally {
      channel.close();
      server.forceShutdown();
    }
  });

  it("forceShutdown sets NOT_SERVING too", async () => {
    const server = createServer();
    const health = addHealth(server, { statuses: { "": "SERVING", "a.A": "SERVING" } });
    await server.listen("127.0.0.1:0");
    server.forceShutdown();
    assert.deepEqual(health.statuses(), { "": "NOT_SERVING", "a.A": "NOT_SERVING" });
  });
});
