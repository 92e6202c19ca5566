import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, Metadata, RpcError } from "@grpc-ts/core";
import type { PickInfo } from "./balancer.js";
import { failPicker, fixedPicker, idlePicker, QUEUE_PICKER } from "./pickers.js";

const info: PickInfo = { path: "/a.B/C", metadata: new Metadata() };

describe("pickers", () => {
  it("queue, fail and fixed pickers return one result object each time", () => {
    assert.equal(QUEUE_PICKER.pick(info).kind, "queue");
    assert.equal(QUEUE_PICKER.pick(info), QUEUE_PICKER.pick(info));
    const error = new RpcError(Code.UNAVAILABLE, "down");
    const fail = failPicker(error);
    const r = fail.pick(info);
    assert.equal(r.kind === "fail" && r.error, error);
    assert.equal(fail.pick(info), r);
    const drop = fixedPicker({ kind: "drop", error });
    assert.equal(drop.pick(info), drop.pick(info));
  });

  it("the IDLE picker queues and calls exitIdle once, after the pick returns", async () => {
    let exits = 0;
    const picker = idlePicker(() => exits++);
    assert.equal(picker.pick(info).kind, "queue");
    assert.equal(picker.pick(info).kind, "queue");
    assert.equal(exits, 0);
    await Promise.resolve();
    assert.equal(exits, 1);
  });
});
