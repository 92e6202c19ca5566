// Backpressure end to end: 10,000-message streams in each direction, where the slow side holds the
// fast side back (HTTP/2 flow control plus the bounded queues on each side) instead of buffering.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { deferred, type EchoHarness, sleep, startEcho, until, within } from "@grpc-ts/testing";
import { CLIENT_INITIAL_WINDOW } from "../http2/engine.js";
import { createWritableIterable } from "../index.js";

const N = 10_000;
/**
 * 1 KiB per message, so that a server's HTTP/2 stream window (64 KiB by default) holds a few dozen
 * messages, and a client's (4 MiB by default, CLIENT_INITIAL_WINDOW) about 4000.
 */
const payload = new Uint8Array(1024).fill(1);
/** How far ahead a producer may get while its consumer is stalled: the queues beyond the windows. */
const BOUND = 1000;
/** The same toward a stalled client: its stream window's worth of messages more. */
const CLIENT_BOUND = CLIENT_INITIAL_WINDOW / payload.length + BOUND;

describe("flow control and backpressure", () => {
  let h: EchoHarness;
  const progress = { produced: 0, consumed: 0 };
  let handlerGate = deferred();
  before(async () => {
    h = await startEcho({
      impl: {
        async *serverStream(req) {
          for (let i = 0; i < req.count; i++) {
            yield { index: i, payload };
            progress.produced = i + 1;
          }
        },
        async clientStream(requests) {
          let n = 0;
          let expected = 0;
          for await (const r of requests) {
            assert.equal(r.id, BigInt(expected++));
            n++;
            progress.consumed = n;
            // Stall after 10 messages until the test has looked at the writer.
            if (n === 10) await handlerGate.promise;
          }
          return { received: n };
        },
        async *bidi(requests) {
          for await (const r of requests) {
            progress.consumed++;
            yield { id: r.id, payload };
          }
        },
      },
    });
  });
  after(() => h.close());

  /** Waits until `value()` stops changing for a while (the producer is held back), bounded. */
  async function settle(value: () => number): Promise<number> {
    let last = -1;
    for (let i = 0; i < 100 && value() !== last; i++) {
      last = value();
      await sleep(30);
    }
    return value();
  }

  it("server streaming to a slow reader: the handler's generator is suspended", async () => {
    progress.produced = 0;
    const it = h.client.serverStream({ count: N })[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) {
      const r = await it.next();
      assert.equal(r.value?.index, i);
    }
    const ahead = (await settle(() => progress.produced)) - 10;
    assert.ok(ahead < CLIENT_BOUND, `the producer got ${ahead} messages ahead of a reader that read 10`);
    assert.ok(progress.produced < N);
    // Then everything arrives, in order.
    let next = 10;
    for (;;) {
      const r = await within(it.next(), 30_000, "rest of the stream");
      if (r.done) break;
      assert.equal(r.value.index, next++);
    }
    assert.equal(next, N);
    assert.equal(progress.produced, N);
  });

  it("client streaming from a fast writer to a slow handler: the writer is held back", async () => {
    progress.consumed = 0;
    handlerGate = deferred();
    let sent = 0;
    async function* requests() {
      for (let i = 0; i < N; i++) {
        yield { id: BigInt(i), payload };
        sent = i + 1;
      }
    }
    const call = h.client.clientStream(requests());
    await until(() => progress.consumed >= 10, 2000, "the handler reading 10 messages");
    assert.equal(progress.consumed, 10);
    const ahead = (await settle(() => sent)) - 10;
    assert.ok(ahead < BOUND, `the writer got ${ahead} messages ahead of a handler that read 10`);
    handlerGate.resolve();
    const res = await within(call, 30_000, "client stream");
    assert.equal(res.received, N);
    assert.equal(sent, N);
  });

  it("bidi: a fast writer and a slow reader stay bounded, and all messages arrive in order", async () => {
    progress.consumed = 0;
    const requests = createWritableIterable<{ id: bigint; payload: Uint8Array }>({ highWaterMark: 16 });
    let sent = 0;
    const writer = (async () => {
      for (let i = 0; i < N; i++) {
        await requests.write({ id: BigInt(i), payload });
        sent = i + 1;
      }
      requests.close();
    })();
    const it = h.client.bidi(requests)[Symbol.asyncIterator]();
    for (let i = 0; i < 10; i++) assert.equal((await it.next()).value?.id, BigInt(i));
    const ahead = (await settle(() => sent)) - 10;
    // The server's responses wait in the client's window, then its requests in the server's.
    assert.ok(
      ahead < CLIENT_BOUND + BOUND,
      `the writer got ${ahead} messages ahead of a reader that read 10`,
    );
    assert.ok(progress.consumed - 10 < CLIENT_BOUND, `the server handled ${progress.consumed}`);
    let next = 10;
    for (;;) {
      const r = await within(it.next(), 30_000, "rest of the bidi stream");
      if (r.done) break;
      assert.equal(r.value.id, BigInt(next++));
    }
    assert.equal(next, N);
    await writer;
  });
});
