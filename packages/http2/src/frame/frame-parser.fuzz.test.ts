/**
 * The frame parser under fuzzing (test-support/fuzz.ts): client byte streams mutated from valid
 * exchanges, each parsed cut two different ways; only connection errors may be thrown, they stay
 * thrown, every event's fields are in range, and the events are the same however the input is cut.
 * Bounded in count and time; `FUZZ_SEED` picks another run, `npm run fuzz:http2` runs long.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "../test-support/fuzz.js";

const SEED = process.env.FUZZ_SEED === undefined ? 0x5eed0001 : Number(process.env.FUZZ_SEED) >>> 0;

test(`frame parser: mutated and random input, cut two ways (seed 0x${SEED.toString(16)})`, () => {
  const r = fuzz({
    target: "parser",
    seed: SEED,
    maxInputs: 4000,
    maxMs: 4000,
    now: () => performance.now(),
  });
  const f = r.failures[0];
  assert.equal(
    f,
    undefined,
    f &&
      `input seed 0x${f.inputSeed.toString(16)}: ${f.message}\n` +
        `replay: npm run fuzz:http2 -- --target=parser --replay=0x${f.inputSeed.toString(16)}`,
  );
  assert.ok(r.inputs >= 100, `only ${r.inputs} inputs in the time`);
  assert.ok(
    r.connectionErrors > r.inputs / 10 && r.connectionErrors < r.inputs,
    `${r.connectionErrors} of ${r.inputs}`,
  );
});
