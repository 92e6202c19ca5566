/**
 * Cancelling a call whose request stream is still open. node:http2's `stream.close(code)` sends
 * END_STREAM before RST_STREAM, and a node:http2 server reports `end` on a reset stream as well:
 * either way a server could take a cancelled request stream for a complete one and answer from
 * partial input. These tests pin that a cancel is a reset and nothing else, on both sides.
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { Code } from "@grpc-ts/core";
import { assertRpcError, Echo, expectRpcError, listenLoopback, until, within } from "@grpc-ts/testing";
import { type Channel, createChannel } from "../client/channel.js";
import { createClient } from "../index.js";
import { createServer, type Server } from "../server/server.js";

const TIMEOUT_MS = 5_000;

/** Awaits a call expected to fail with `code`, bounded in time. */
const expectCode = (promise: Promise<unknown>, code: Code) =>
  within(expectRpcError(promise, code), TIMEOUT_MS, "call");

/** Yields one message, then waits (without ending the request stream) until `signal` fires. */
async function* oneThenWait(signal: AbortSignal) {
  yield { message: "partial" };
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

describe("our client cancels an open request stream with RST_STREAM alone", () => {
  interface Seen {
    /** A real half-close: `end` while the stream was still open. */
    halfClosed: boolean;
    rstCode: number | undefined;
    gotData: Promise<void>;
    closed: Promise<void>;
  }
  let raw: http2.Http2Server;
  let channel: Channel;
  const seen: Seen[] = [];

  before(async () => {
    raw = http2.createServer();
    raw.on("stream", (stream) => {
      let dataIn: () => void = () => {};
      let closedIn: () => void = () => {};
      const s: Seen = {
        halfClosed: false,
        rstCode: undefined,
        gotData: new Promise<void>((resolve) => (dataIn = resolve)),
        closed: new Promise<void>((resolve) => (closedIn = resolve)),
      };
      seen.push(s);
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.on("data", () => dataIn());
      stream.on("end", () => {
        if (!stream.closed) s.halfClosed = true;
      });
      stream.on("error", () => {});
      stream.on("close", () => {
        s.rstCode = stream.rstCode;
        closedIn();
      });
    });
    channel = createChannel(`127.0.0.1:${await listenLoopback(raw)}`);
  });

  after(async () => {
    channel?.close();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  });

  for (const kind of ["clientStream", "bidi"] as const) {
    for (const how of ["abort", "deadline"] as const) {
      test(`${kind}, ended by ${how}`, async () => {
        const client = createClient(Echo, channel);
        const ac = new AbortController();
        const options =
          how === "abort"
            ? { signal: ac.signal, timeoutMs: TIMEOUT_MS }
            : { timeoutMs: 300, signal: ac.signal };
        const before = seen.length;
        const call =
          kind === "clientStream"
            ? client.clientStream(oneThenWait(ac.signal), options)
            : (async () => {
                for await (const _ of client.bidi(oneThenWait(ac.signal), options));
              })();
        const failed = expectCode(call, how === "abort" ? Code.CANCELLED : Code.DEADLINE_EXCEEDED);
        await until(() => seen.length > before, TIMEOUT_MS, "the stream to arrive");
        const s = seen[before]!;
        await within(s.gotData, TIMEOUT_MS, "the first message");
        if (how === "abort") ac.abort();
        await failed;
        ac.abort();
        await within(s.closed, TIMEOUT_MS, "the stream to close");
        assert.equal(s.halfClosed, false, "the server saw END_STREAM before the reset");
        assert.equal(s.rstCode, http2.constants.NGHTTP2_CANCEL);
      });
    }
  }
});

describe("our server: a reset request stream is not a complete one", () => {
  let server: Server;
  let port: number;
  const outcomes: { completed: boolean; aborted: Promise<unknown>; received: number }[] = [];
  let started: (() => void) | undefined;

  before(async () => {
    server = createServer().add(Echo, {
      async clientStream(reqs, ctx) {
        const signal = ctx.signal;
        const o = {
          completed: false,
          received: 0,
          aborted: new Promise<unknown>((resolve) =>
            signal.addEventListener("abort", () => resolve(signal.reason), { once: true }),
          ),
        };
        outcomes.push(o);
        for await (const _ of reqs) {
          o.received++;
          started?.();
        }
        o.completed = true;
        return { received: o.received };
      },
    });
    port = await server.listen("127.0.0.1:0");
  });

  after(() => server?.forceShutdown());

  test("the handler's signal fires and its request stream does not end normally", async () => {
    for (let round = 0; round < 3; round++) {
      const channel = createChannel(`127.0.0.1:${port}`);
      try {
        const ac = new AbortController();
        const gotOne = new Promise<void>((resolve) => (started = resolve));
        const failed = expectCode(
          createClient(Echo, channel).clientStream(oneThenWait(ac.signal), {
            signal: ac.signal,
            timeoutMs: TIMEOUT_MS,
          }),
          Code.CANCELLED,
        );
        await within(gotOne, TIMEOUT_MS, "the handler's first message");
        ac.abort();
        await failed;
        const o = outcomes.at(-1)!;
        const reason = await within(o.aborted, TIMEOUT_MS, "the handler's signal");
        assertRpcError(reason, Code.CANCELLED);
        assert.equal(o.completed, false, "the handler took the cancelled request stream for a complete one");
        assert.equal(o.received, 1);
      } finally {
        channel.close();
      }
    }
  });
});
