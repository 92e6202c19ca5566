import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../test-support/random.js";
import { StreamTable } from "./stream-table.js";

test("stream table: ring slots and overflow behave as a map (fixed seed)", () => {
  const table = new StreamTable<{ id: number }>(16);
  const model = new Map<number, { id: number }>();
  const rnd = new Random(5);
  let next = 1;
  for (let i = 0; i < 20000; i++) {
    if (rnd.int(3) !== 0 || model.size === 0) {
      const s = { id: next };
      next += 2;
      table.add(s);
      model.set(s.id, s);
    } else {
      const ids = [...model.keys()];
      const id = ids[rnd.int(ids.length)]!;
      table.delete(model.get(id)!);
      model.delete(id);
    }
    if (i % 97 === 0) {
      for (const [id, s] of model) assert.equal(table.get(id), s);
      assert.equal(table.size, model.size);
      assert.deepEqual(new Set(table.list()), new Set(model.values()));
      assert.equal(table.get(next), undefined);
    }
  }
});
