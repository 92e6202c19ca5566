// Both sides sending more than a socket holds at once: many calls that stream large messages
// each way at the same time on one connection. Neither side may stop reading because it has
// much to write (the server does, to bound what a client that never reads can cost it; the
// client must not, or both wait for each other for good: socket-driver.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type EchoHarness, startEcho, within } from "@grpc-ts/testing";

const CALLS = 64;
const MESSAGES = 8;
const SIZE = 256 * 1024;

describe("large messages both ways on many calls at once", { timeout: 60_000 }, () => {
  let h: EchoHarness;
  before(async () => {
    h = await startEcho({
      impl: {
        // Echoes each message as it comes, so the server writes while the client still writes.
        async *bidi(requests) {
          let i = 0;
          for await (const r of requests) yield { payload: r.payload, index: i++ };
        },
      },
    });
  });
  after(() => h?.close());

  it(`${CALLS} calls, each ${MESSAGES} messages of ${SIZE / 1024} KiB each way`, async () => {
    const payload = new Uint8Array(SIZE).fill(7);
    const one = async (): Promise<number> => {
      async function* requests() {
        for (let i = 0; i < MESSAGES; i++) yield { payload };
      }
      let bytes = 0;
      for await (const r of h.client.bidi(requests())) bytes += r.payload.length;
      return bytes;
    };
    const totals = await within(Promise.all(Array.from({ length: CALLS }, one)), 30_000, "every call");
    assert.deepEqual(new Set(totals), new Set([MESSAGES * SIZE]));
  });
});
