// The four call kinds over a real loopback connection with the generated Echo service.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertBytes, collect, type EchoHarness, startEcho } from "@grpc-ts/testing";

// On both HTTP/2 engines: node:http2 (the default) and our own (@grpc-ts/http2).
for (const engine of ["node", "grpc-ts"] as const) {
  describe(`call kinds end to end (${engine} engine)`, () => {
    let h: EchoHarness;
    before(async () => {
      h = await startEcho({ server: { engine } });
    });
    after(() => h.close());

    it("unary: the request's values come back", async () => {
      const payload = new Uint8Array([0, 1, 2, 254, 255]);
      const res = await h.client.unary({ message: "héllo ✓", payload, id: 9_007_199_254_740_993n });
      assert.equal(res.message, "héllo ✓");
      assertBytes(res.payload, payload);
      assert.equal(res.id, 9_007_199_254_740_993n);
    });

    it("unary: an empty request gives an empty (all-default) response", async () => {
      const res = await h.client.unary({});
      assert.equal(res.message, "");
      assert.equal(res.payload.length, 0);
      assert.equal(res.id, 0n);
      assert.equal(res.index, 0);
    });

    it("unary: a 1 MiB payload round-trips byte for byte", async () => {
      const payload = new Uint8Array(1024 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
      const res = await h.client.unary({ payload });
      assertBytes(res.payload, payload);
    });

    it("server streaming: count responses in order", async () => {
      const got = await collect(h.client.serverStream({ message: "s", count: 5, id: 3n }));
      assert.deepEqual(
        got.map((r) => [r.index, r.message, r.id]),
        [0, 1, 2, 3, 4].map((i) => [i, "s", 3n]),
      );
    });

    it("server streaming: zero responses end cleanly", async () => {
      assert.deepEqual(await collect(h.client.serverStream({ count: 0 })), []);
    });

    it("server streaming: 1 MiB messages", async () => {
      const payload = new Uint8Array(1024 * 1024).fill(0xab);
      const got = await collect(h.client.serverStream({ payload, count: 3 }));
      assert.equal(got.length, 3);
      for (const r of got) assertBytes(r.payload, payload);
    });

    it("client streaming: the server sees every request", async () => {
      const res = await h.client.clientStream([
        { message: "a", id: 1n },
        { message: "b", id: 2n },
        { message: "c", id: 3n },
      ]);
      assert.equal(res.received, 3);
      assert.equal(res.message, "a,b,c");
      assert.equal(res.id, 3n);
    });

    it("client streaming: an empty request stream", async () => {
      const res = await h.client.clientStream([]);
      assert.equal(res.received, 0);
      assert.equal(res.message, "");
    });

    it("client streaming: from an async generator, with empty messages and a 1 MiB one", async () => {
      const big = new Uint8Array(1024 * 1024).fill(7);
      async function* requests() {
        yield {};
        yield { payload: big, message: "big" };
        yield {};
      }
      const res = await h.client.clientStream(requests());
      assert.equal(res.received, 3);
      assert.equal(res.message, ",big,");
    });

    it("bidi: one response per request, in order", async () => {
      const got = await collect(h.client.bidi([{ message: "x", id: 1n }, {}, { message: "z", id: 3n }]));
      assert.deepEqual(
        got.map((r) => [r.index, r.message, r.id]),
        [
          [0, "x", 1n],
          [1, "", 0n],
          [2, "z", 3n],
        ],
      );
    });

    it("bidi: an empty request stream gives an empty response stream", async () => {
      assert.deepEqual(await collect(h.client.bidi([])), []);
    });

    it("bidi: ping-pong, each request sent after the previous response", async () => {
      const { createWritableIterable } = await import("../index.js");
      const requests = createWritableIterable<{ message: string; id: bigint }>();
      const responses = h.client.bidi(requests)[Symbol.asyncIterator]();
      for (let i = 0; i < 5; i++) {
        await requests.write({ message: `ping ${i}`, id: BigInt(i) });
        const r = await responses.next();
        assert.equal(r.done, false);
        assert.equal(r.value?.message, `ping ${i}`);
        assert.equal(r.value?.index, i);
      }
      requests.close();
      assert.equal((await responses.next()).done, true);
    });

    it("bidi: 1 MiB payloads both ways", async () => {
      const payload = new Uint8Array(1024 * 1024).fill(0x5a);
      const got = await collect(h.client.bidi([{ payload }, { payload }]));
      assert.equal(got.length, 2);
      for (const r of got) assertBytes(r.payload, payload);
    });
  });
}
