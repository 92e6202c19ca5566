import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DynamicTable, type EvictionListener } from "./dynamic-table.js";

class Recorder implements EvictionListener {
  evicted: [string, string, number][] = [];
  onEvict(name: string, value: string, seq: number): void {
    this.evicted.push([name, value, seq]);
  }
}

function entries(t: DynamicTable): string[] {
  const out: string[] = [];
  for (let i = 1; i <= t.length; i++) out.push(`${t.nameAt(i)}=${t.valueAt(i)}`);
  return out;
}

describe("HPACK dynamic table (RFC 7541 §4)", () => {
  test("size is name + value + 32 per entry; newest entry is index 1", () => {
    const t = new DynamicTable(4096);
    t.add("a", "bc");
    t.add("def", "");
    assert.equal(t.size, 35 + 35);
    assert.deepEqual(entries(t), ["def=", "a=bc"]);
  });

  test("inserting evicts the oldest entries until the new one fits", () => {
    const rec = new Recorder();
    const t = new DynamicTable(100, rec);
    t.add("a", "1"); // 34, seq 0
    t.add("b", "2"); // 68, seq 1
    t.add("c", "3"); // 102 > 100: evicts a
    assert.deepEqual(entries(t), ["c=3", "b=2"]);
    assert.equal(t.size, 68);
    assert.deepEqual(rec.evicted, [["a", "1", 0]]);
    t.add("d", "x".repeat(34)); // 67: evicts b and c
    assert.deepEqual(entries(t), [`d=${"x".repeat(34)}`]);
    assert.deepEqual(rec.evicted.slice(1), [
      ["b", "2", 1],
      ["c", "3", 2],
    ]);
    assert.equal(t.inserted, 4);
  });

  test("an entry exactly the table size fits; a larger one empties the table", () => {
    const t = new DynamicTable(40);
    t.add("a", "1234567"); // 40
    assert.equal(t.length, 1);
    t.add("a", "12345678"); // 41
    assert.equal(t.length, 0);
    assert.equal(t.size, 0);
  });

  test("a size update evicts down to the new size; 0 empties the table", () => {
    const t = new DynamicTable(4096);
    for (let i = 0; i < 10; i++) t.add(`n${i}`, "v"); // 35 each
    t.setMaxSize(100);
    assert.deepEqual(entries(t), ["n9=v", "n8=v"]);
    t.setMaxSize(0);
    assert.equal(t.length, 0);
    t.add("a", "b");
    assert.equal(t.length, 0);
  });

  test("the ring grows past its first capacity and keeps the order", () => {
    const t = new DynamicTable(1 << 20);
    for (let i = 0; i < 1000; i++) t.add("k", String(i));
    assert.equal(t.length, 1000);
    for (let i = 1; i <= 1000; i++) assert.equal(t.valueAt(i), String(1000 - i));
    t.setMaxSize(36 * 3); // "k" + 3 digits + 32
    assert.deepEqual(entries(t), ["k=999", "k=998", "k=997"]);
    for (let i = 0; i < 50; i++) t.add("k", String(i % 10)); // wraps around many times
    assert.deepEqual(entries(t), ["k=9", "k=8", "k=7"]);
  });
});
