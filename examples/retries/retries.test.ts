import assert from "node:assert/strict";
import { test } from "node:test";
import { Code } from "@grpc-ts/node";
import { runRetriesExample } from "./example.js";

test("the retries example: a retried call succeeds on its third attempt, a hedge answers for a hung attempt, an opted-out call fails", async () => {
  const lines: string[] = [];
  const r = await runRetriesExample((l) => lines.push(l));
  assert.deepEqual(r.retriedCallAttempts, ["", "1", "2"]);
  assert.equal(r.previousAttemptsInTrailer, "2");
  assert.equal(r.optOutCode, Code.UNAVAILABLE);
  assert.equal(r.optOutAttempts, 1);
  assert.equal(r.hedgedCallAttempts, 2);
  assert.equal(r.hedgedCallCancelled, 1);
  assert.ok(lines.some((l) => l.startsWith(`retryPolicy: "Old Mill Bridge`)));
});
