import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Watchers } from "./watchers.js";

describe("Watchers", () => {
  it("delivers each value to every listener in order, a value published inside a listener after the current one", () => {
    const w = new Watchers<number>();
    const a: number[] = [];
    const b: number[] = [];
    w.add((v) => {
      a.push(v);
      if (v === 1) w.publish(2);
    });
    w.add((v) => b.push(v));
    w.publish(1);
    assert.deepEqual(a, [1, 2]);
    assert.deepEqual(b, [1, 2]);
  });

  it("removes a listener (the same function added twice is two listeners) and clears", () => {
    const w = new Watchers<string>();
    const got: string[] = [];
    const f = (v: string) => got.push(v);
    const stop = w.add(f);
    w.add(f);
    assert.equal(w.size, 2);
    w.publish("x");
    stop();
    w.publish("y");
    w.clear();
    w.publish("z");
    assert.deepEqual(got, ["x", "x", "y"]);
    assert.equal(w.size, 0);
  });

  it("skips a listener removed by an earlier one during the same delivery", () => {
    const w = new Watchers<number>();
    const got: number[] = [];
    let stopSecond = () => {};
    w.add(() => stopSecond());
    stopSecond = w.add((v) => got.push(v));
    w.publish(1);
    assert.deepEqual(got, []);
  });
});
