import assert from "node:assert/strict";
import { test } from "node:test";
import { CallList, type Linked } from "./call-list.js";

class Item implements Linked<Item> {
  prevLinked: Item | undefined = undefined;
  nextLinked: Item | undefined = undefined;
  constructor(readonly name: string) {}
}

const names = (list: CallList<Item>) => list.toArray().map((i) => i.name);

test("a call list: add, delete anywhere (twice is a no-op), size, and links cleared on removal", () => {
  const list = new CallList<Item>();
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Item(n)) as [Item, Item, Item, Item];
  for (const i of [a, b, c, d]) list.add(i);
  assert.equal(list.size, 4);
  assert.deepEqual(names(list), ["a", "b", "c", "d"]);
  list.delete(b); // middle
  assert.deepEqual(names(list), ["a", "c", "d"]);
  assert.equal(b.prevLinked, undefined);
  assert.equal(b.nextLinked, undefined);
  list.delete(b);
  assert.equal(list.size, 3);
  list.delete(a); // head
  list.delete(d); // tail
  assert.deepEqual(names(list), ["c"]);
  list.delete(c);
  list.delete(c);
  assert.equal(list.size, 0);
  assert.deepEqual(names(list), []);
  // Deleting while going through a snapshot, as forceShutdown does.
  for (const i of [a, b, c]) list.add(i);
  for (const i of list.toArray()) list.delete(i);
  assert.equal(list.size, 0);
  list.add(d);
  list.add(a);
  assert.deepEqual(names(list), ["d", "a"]);
});
