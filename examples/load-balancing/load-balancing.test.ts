import assert from "node:assert/strict";
import { test } from "node:test";
import { runLoadBalancingExample } from "./example.js";

test("the load-balancing example: calls rotate over three servers, skip the unhealthy one, and come back to it", async () => {
  const lines: string[] = [];
  const [all, withoutSecond, again] = await runLoadBalancingExample((l) => lines.push(l));
  const count = (answered: readonly string[], host: string) => answered.filter((h) => h === host).length;
  for (const host of ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
    assert.equal(count(all!, host), 2, all!.join(" "));
  assert.equal(count(withoutSecond!, "127.0.0.2"), 0, withoutSecond!.join(" "));
  assert.equal(count(withoutSecond!, "127.0.0.1") + count(withoutSecond!, "127.0.0.3"), 6);
  for (const host of ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
    assert.equal(count(again!, host), 2, again!.join(" "));
  assert.ok(lines.some((l) => l.includes("round_robin")));
});
