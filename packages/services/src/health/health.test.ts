import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, type HandlerContext } from "@grpc-ts/core";
import { isRpcError, within } from "@grpc-ts/testing";
import {
  HealthCheckRequestSchema,
  HealthListRequestSchema,
  HealthCheckResponse_ServingStatus as S,
} from "../gen/grpc/health/v1/health_pb.js";
import { createHealth, type HealthReporter, MAX_LIST_SERVICES } from "./health.js";

function ctx(signal: AbortSignal = new AbortController().signal): HandlerContext {
  return { signal } as unknown as HandlerContext;
}

function check(health: HealthReporter, service: string) {
  return health.impl.check!(create(HealthCheckRequestSchema, { service }), ctx());
}

/** Starts a Watch and returns a function that reads its next status (bounded in time). */
function watch(health: HealthReporter, service: string, signal?: AbortSignal) {
  const it = health.impl.watch!(create(HealthCheckRequestSchema, { service }), ctx(signal))[
    Symbol.asyncIterator
  ]();
  return {
    async next(): Promise<S | "end"> {
      const r = await within(it.next(), 5000, "the next status");
      return r.done === true ? "end" : (r.value.status as S);
    },
    return: () => it.return?.(undefined),
  };
}

describe("createHealth", () => {
  it("starts with the whole server SERVING and answers Check", async () => {
    const health = createHealth();
    assert.deepEqual(await check(health, ""), { status: S.SERVING });
    assert.deepEqual(health.statuses(), { "": "SERVING" });
  });

  it("takes the initial statuses", async () => {
    const health = createHealth({ statuses: { "a.A": "NOT_SERVING", "b.B": "UNKNOWN" } });
    assert.deepEqual(health.statuses(), { "a.A": "NOT_SERVING", "b.B": "UNKNOWN" });
    assert.deepEqual(await check(health, "a.A"), { status: S.NOT_SERVING });
    assert.deepEqual(await check(health, "b.B"), { status: S.UNKNOWN });
    assert.throws(() => check(health, ""), isRpcError(Code.NOT_FOUND));
  });

  it("answers NOT_FOUND on Check for a service without a status", () => {
    const health = createHealth();
    assert.throws(() => check(health, "nope.Service"), isRpcError(Code.NOT_FOUND, /nope\.Service/));
  });

  it("sets, reads and clears statuses", async () => {
    const health = createHealth();
    health.setStatus("x.X", "SERVING");
    assert.equal(health.getStatus("x.X"), "SERVING");
    health.setStatus("x.X", "NOT_SERVING");
    assert.deepEqual(await check(health, "x.X"), { status: S.NOT_SERVING });
    assert.equal(health.clearStatus("x.X"), true);
    assert.equal(health.clearStatus("x.X"), false);
    assert.equal(health.getStatus("x.X"), undefined);
    assert.throws(() => check(health, "x.X"), isRpcError(Code.NOT_FOUND));
  });

  it("rejects a status that is not one of the three", () => {
    const health = createHealth();
    assert.throws(() => health.setStatus("", "SERVICE_UNKNOWN" as "SERVING"), TypeError);
    assert.throws(() => createHealth({ statuses: { "": "up" as "SERVING" } }), TypeError);
  });

  it("lists every status, and refuses more than the limit with RESOURCE_EXHAUSTED", async () => {
    const health = createHealth();
    health.setStatus("a.A", "NOT_SERVING");
    const list = await health.impl.list!(create(HealthListRequestSchema), ctx());
    assert.deepEqual(list, { statuses: { "": { status: S.SERVING }, "a.A": { status: S.NOT_SERVING } } });
    for (let i = 0; i < MAX_LIST_SERVICES; i++) health.setStatus(`s${i}`, "SERVING");
    assert.throws(
      () => health.impl.list!(create(HealthListRequestSchema), ctx()),
      isRpcError(Code.RESOURCE_EXHAUSTED),
    );
  });

  it("keeps a service named __proto__ as a plain key in List", async () => {
    const health = createHealth({ statuses: { ["__proto__"]: "SERVING" } });
    const list = (await health.impl.list!(create(HealthListRequestSchema), ctx())) as {
      statuses: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(list.statuses), ["__proto__"]);
  });

  it("Watch sends the current status at once, then each change, and nothing for a non-change", async () => {
    const health = createHealth();
    const w = watch(health, "");
    assert.equal(await w.next(), S.SERVING);
    health.setStatus("", "SERVING"); // not a change
    health.setStatus("", "NOT_SERVING");
    health.setStatus("", "SERVING");
    assert.equal(await w.next(), S.NOT_SERVING);
    assert.equal(await w.next(), S.SERVING);
    await w.return();
  });

  it("Watch sends SERVICE_UNKNOWN for an unknown service, then its status once it has one", async () => {
    const health = createHealth();
    const w = watch(health, "later.Service");
    assert.equal(await w.next(), S.SERVICE_UNKNOWN);
    health.setStatus("later.Service", "SERVING");
    assert.equal(await w.next(), S.SERVING);
    health.clearStatus("later.Service");
    assert.equal(await w.next(), S.SERVICE_UNKNOWN);
    await w.return();
  });

  it("Watch ends when the call's signal fires", async () => {
    const health = createHealth();
    const abort = new AbortController();
    const w = watch(health, "", abort.signal);
    assert.equal(await w.next(), S.SERVING);
    const pending = w.next();
    abort.abort();
    assert.equal(await pending, "end");
  });

  it("shutdown sets every status NOT_SERVING and ignores later changes until resume", async () => {
    const health = createHealth({ statuses: { "": "SERVING", "a.A": "SERVING" } });
    const w = watch(health, "a.A");
    assert.equal(await w.next(), S.SERVING);
    health.shutdown();
    assert.equal(health.isShutDown, true);
    assert.deepEqual(health.statuses(), { "": "NOT_SERVING", "a.A": "NOT_SERVING" });
    assert.equal(await w.next(), S.NOT_SERVING);
    health.setStatus("a.A", "SERVING");
    health.setStatus("new.Service", "SERVING");
    assert.equal(health.clearStatus("a.A"), false);
    assert.deepEqual(health.statuses(), { "": "NOT_SERVING", "a.A": "NOT_SERVING" });
    health.resume();
    assert.equal(health.isShutDown, false);
    assert.deepEqual(health.statuses(), { "": "SERVING", "a.A": "SERVING" });
    assert.equal(await w.next(), S.SERVING);
    await w.return();
  });

  it("shutdown with endWatches ends each Watch with UNAVAILABLE after it got NOT_SERVING", async () => {
    const health = createHealth();
    const w = watch(health, "");
    assert.equal(await w.next(), S.SERVING);
    health.shutdown({ endWatches: true });
    assert.equal(await w.next(), S.NOT_SERVING);
    await assert.rejects(w.next(), isRpcError(Code.UNAVAILABLE));
  });
});
