import assert from "node:assert/strict";
import { test } from "node:test";
import { ClosedHow, ClosedStreams } from "./closed-streams.js";

test("closed streams: remembered until a newer id takes the slot", () => {
  const c = new ClosedStreams(4);
  c.add(1, ClosedHow.ENDED);
  c.add(3, ClosedHow.RESET_BY_US);
  c.add(5, ClosedHow.RESET_BY_PEER);
  assert.equal(c.get(1), ClosedHow.ENDED);
  assert.equal(c.get(3), ClosedHow.RESET_BY_US);
  assert.equal(c.get(5), ClosedHow.RESET_BY_PEER);
  assert.equal(c.get(7), undefined);
  c.add(9, ClosedHow.ENDED); // 9 >> 1 = 4 → slot 0, where 1 was
  assert.equal(c.get(1), undefined);
  assert.equal(c.get(9), ClosedHow.ENDED);
  assert.equal(c.get(0), undefined);
  c.add(3, ClosedHow.RESET_BY_US); // updating
  assert.equal(c.get(3), ClosedHow.RESET_BY_US);
  assert.throws(() => new ClosedStreams(3), RangeError);
});
