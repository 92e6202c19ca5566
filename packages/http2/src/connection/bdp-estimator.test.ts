/**
 * The BDP estimator on its own, with a fake clock: when a probe may go out, what a probe's count
 * does to the estimate, and what it must not do (grow for a slow reader, a longer round trip, or
 * octets outside the probe).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BdpEstimator } from "./bdp-estimator.js";

const INITIAL = 65535;
const LIMIT = 16 << 20;

/** An estimator on a clock the test moves (`t.now`, in ms). */
function clocked(initial = INITIAL, limit = LIMIT, minIntervalMs = 10) {
  const t = { now: 1000 };
  const bdp = new BdpEstimator(initial, limit, () => t.now, minIntervalMs);
  return { bdp, t };
}

/**
 * One whole probe: wanted, sent, `sample` octets consumed, ACK after `rttMs`. Returns onAck's
 * answer. The clock then stands `gapMs` past the ACK (so the next probe is allowed by default).
 */
function probe(
  bdp: BdpEstimator,
  t: { now: number } | undefined,
  sample: number,
  rttMs = 1,
  gapMs = 100,
): number {
  assert.equal(bdp.wantProbe(true), true, "a probe is wanted");
  bdp.probeSent();
  bdp.consumed(sample);
  if (t !== undefined) t.now += rttMs;
  const grown = bdp.onAck();
  if (t !== undefined) t.now += gapMs;
  return grown;
}

describe("when a probe goes out", () => {
  test("none unless a window limits the peer", () => {
    const { bdp } = clocked();
    assert.equal(bdp.wantProbe(false), false);
    assert.equal(bdp.wantProbe(false), false);
    assert.equal(bdp.wantProbe(true), true);
  });

  test("one at a time: none while one is due, none while one is out, another after its ACK", () => {
    const { bdp, t } = clocked();
    assert.equal(bdp.wantProbe(true), true);
    assert.equal(bdp.wantProbe(true), false, "already due for this batch");
    bdp.probeSent();
    t.now += 50;
    assert.equal(bdp.wantProbe(true), false, "outstanding");
    bdp.onAck();
    assert.equal(bdp.wantProbe(true), true);
  });

  test("none sooner than minIntervalMs after the previous probe was sent", () => {
    const { bdp, t } = clocked(INITIAL, LIMIT, 10);
    const sentAt = t.now;
    assert.equal(bdp.wantProbe(true), true);
    bdp.probeSent();
    t.now = sentAt + 2;
    bdp.onAck(); // a fast ACK
    t.now = sentAt + 9.5;
    assert.equal(bdp.wantProbe(true), false, "9.5 ms after the previous probe");
    t.now = sentAt + 10;
    assert.equal(bdp.wantProbe(true), true, "10 ms after the previous probe");
  });

  test("the interval counts from the probe, not from the ACK (a slow ACK allows the next at once)", () => {
    const { bdp, t } = clocked(INITIAL, LIMIT, 10);
    assert.equal(bdp.wantProbe(true), true);
    bdp.probeSent();
    t.now += 30;
    bdp.onAck();
    assert.equal(bdp.wantProbe(true), true);
  });

  test("without a clock there is no interval", () => {
    const bdp = new BdpEstimator(INITIAL, LIMIT, undefined, 10_000);
    for (let i = 0; i < 5; i++) {
      assert.equal(bdp.wantProbe(true), true);
      bdp.probeSent();
      bdp.onAck();
    }
  });

  test("an ACK with no probe out (stale, or never sent) changes nothing", () => {
    const { bdp } = clocked();
    bdp.consumed(1 << 20);
    assert.equal(bdp.onAck(), 0);
    assert.equal(bdp.estimate, INITIAL);
    // A probe wanted but not yet written is not answered either.
    assert.equal(bdp.wantProbe(true), true);
    bdp.consumed(1 << 20);
    assert.equal(bdp.onAck(), 0);
    assert.equal(bdp.estimate, INITIAL);
    // A second ACK for one probe.
    const { bdp: b2, t } = clocked();
    assert.equal(probe(b2, t, 60000), 120000);
    b2.consumed(1 << 20);
    assert.equal(b2.onAck(), 0);
    assert.equal(b2.estimate, 120000);
  });
});

describe("what a probe's count does", () => {
  test("a count of two thirds of the estimate or more: the estimate becomes twice the count", () => {
    const { bdp, t } = clocked();
    // 2/3 of 65535 is 43690 exactly.
    assert.equal(probe(bdp, t, 43690), 87380);
    assert.equal(bdp.estimate, 87380);
    assert.equal(probe(bdp, t, 87380), 174760);
    assert.equal(bdp.estimate, 174760);
  });

  test("a count below two thirds: no growth", () => {
    const { bdp, t } = clocked();
    assert.equal(probe(bdp, t, 43689), 0);
    assert.equal(bdp.estimate, INITIAL);
    assert.equal(probe(bdp, t, 0), 0);
    assert.equal(bdp.estimate, INITIAL);
    // The threshold follows the estimate: 50000 grows 65535, not 100000.
    assert.equal(probe(bdp, t, 50000), 100000);
    assert.equal(probe(bdp, t, 60000), 0);
    assert.equal(bdp.estimate, 100000);
  });

  test("a count as large but over a longer round trip (lower bandwidth than seen): no growth", () => {
    // Two estimators with the same first probe (50000 octets in 1 ms: estimate 100000).
    const fast = clocked();
    const slow = clocked();
    assert.equal(probe(fast.bdp, fast.t, 50000, 1), 100000);
    assert.equal(probe(slow.bdp, slow.t, 50000, 1), 100000);
    // The same 70000 (over 2/3 of 100000) for both: in 1 ms it grows the window...
    assert.equal(probe(fast.bdp, fast.t, 70000, 1), 140000);
    // ...in 3 ms (a reader that takes its time) it does not: 70000 over a round trip averaging
    // 2 ms is less bandwidth than 50000 in 1 ms.
    assert.equal(probe(slow.bdp, slow.t, 70000, 3), 0);
    assert.equal(slow.bdp.estimate, 100000);
  });

  test("the bandwidth to beat is the highest seen, also from a probe that did not grow the window", () => {
    const { bdp, t } = clocked(1 << 20);
    // 600000 in 1 ms: below 2/3 of 1 MiB, no growth, but the highest bandwidth so far.
    assert.equal(probe(bdp, t, 600000, 1), 0);
    // 800000 (over 2/3 of 1 MiB) in 4 ms: round trip 2.5 ms on average, less bandwidth: no growth.
    assert.equal(probe(bdp, t, 800000, 4), 0);
    assert.equal(bdp.estimate, 1 << 20);
  });

  test("a round trip below the clock's resolution still measures", () => {
    const { bdp, t } = clocked();
    assert.equal(probe(bdp, t, 50000, 0), 100000);
    assert.equal(probe(bdp, t, 80000, 0), 160000);
  });

  test("without a clock, growth on the count alone", () => {
    const bdp = new BdpEstimator(INITIAL, LIMIT, undefined, 10);
    assert.equal(probe(bdp, undefined, 50000), 100000);
    assert.equal(probe(bdp, undefined, 66667), 133334);
    assert.equal(probe(bdp, undefined, 66666), 0, "below 2/3 of 133334");
    assert.equal(bdp.estimate, 133334);
  });

  test("capped at the limit, and no probe once there", () => {
    const { bdp, t } = clocked(INITIAL, 200000);
    assert.equal(probe(bdp, t, 60000), 120000);
    assert.equal(probe(bdp, t, 150000), 200000, "300000 capped");
    assert.equal(bdp.estimate, 200000);
    t.now += 1000;
    assert.equal(bdp.wantProbe(true), false);
    // An ACK now (none out) changes nothing either.
    bdp.consumed(1 << 20);
    assert.equal(bdp.onAck(), 0);
    assert.equal(bdp.estimate, 200000);
  });

  test("an estimate starting at the limit never probes", () => {
    const bdp = new BdpEstimator(65535, 65535, undefined, 0);
    assert.equal(bdp.wantProbe(true), false);
  });

  test("only octets consumed between the probe's sending and its ACK count", () => {
    const { bdp, t } = clocked();
    bdp.consumed(1 << 20); // before any probe
    assert.equal(bdp.wantProbe(true), true);
    bdp.consumed(1 << 20); // wanted, not yet written
    bdp.probeSent();
    bdp.consumed(30000);
    bdp.consumed(13689); // 43689 in all: one short of 2/3
    t.now += 1;
    assert.equal(bdp.onAck(), 0);
    bdp.consumed(1 << 20); // after the ACK
    t.now += 100;
    // The next probe starts from zero: what came after the last ACK does not carry over.
    assert.equal(probe(bdp, t, 43690), 87380);
  });
});
