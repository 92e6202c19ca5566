import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { startDeadlineTimer } from "./deadline-timer.js";

describe("startDeadlineTimer", () => {
  it("fires at the deadline", async () => {
    let fired = false;
    startDeadlineTimer(Date.now() + 20, () => {
      fired = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(fired, true);
  });

  it("fires at once for a past deadline, and never once cancelled", async () => {
    let past = 0;
    startDeadlineTimer(Date.now() - 1000, () => past++);
    let cancelled = 0;
    startDeadlineTimer(Date.now() + 10, () => cancelled++).cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(past, 1);
    assert.equal(cancelled, 0);
  });

  it("does not fire early for a deadline beyond 2^31 - 1 ms (30 days)", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    try {
      let fired = false;
      const day = 24 * 3600 * 1000;
      const timer = startDeadlineTimer(30 * day, () => {
        fired = true;
      });
      mock.timers.tick(1000);
      assert.equal(fired, false, "not after 1 s");
      mock.timers.tick(25 * day);
      assert.equal(fired, false, "not after 25 days");
      mock.timers.tick(5 * day);
      assert.equal(fired, true, "after 30 days");
      timer.cancel();
    } finally {
      mock.timers.reset();
    }
  });
});
