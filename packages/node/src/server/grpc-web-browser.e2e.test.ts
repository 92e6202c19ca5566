// A real browser against the server: headless Chromium loads a page from another origin (so every
// call is a CORS request with a preflight), and the page calls the server with @grpc-ts/web in both
// formats and with Google's grpc-web runtime in text mode. The page reports; this file asserts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  aborted,
  assertRpcError,
  CHROMIUM,
  createEchoService,
  type Deferred,
  deferred,
  Echo,
  generateTestCerts,
  skipWithout,
  type TestCerts,
  within,
} from "@grpc-ts/testing";
import type { PageResults } from "@grpc-ts/testing/browser";
import {
  type BrowserHandle,
  bundleForBrowser,
  launchChromium,
  type PageServer,
  pageEntry,
  servePage,
} from "@grpc-ts/testing/browser";
import { Code, createServer, Metadata, RpcError, type Server } from "../index.js";

/** What one suite's server saw: when each timed message was sent, and why each hanging call ended. */
interface ServerState {
  readonly sendTimes: Record<string, number[]>;
  readonly acks: Map<string, () => void>;
  hang(name: string): Deferred<unknown>;
}

function createState(): ServerState {
  const hangEnded = new Map<string, Deferred<unknown>>();
  return {
    sendTimes: {},
    acks: new Map(),
    hang(name) {
      let d = hangEnded.get(name);
      if (d === undefined) {
        d = deferred<unknown>();
        hangEnded.set(name, d);
      }
      return d;
    },
  };
}

function setup(server: Server, { sendTimes, acks, hang }: ServerState): void {
  server.add(Echo, {
    ...createEchoService(),
    async unary(r, ctx) {
      if (r.message.startsWith("ack-")) {
        acks.get(r.message)?.();
        return {};
      }
      if (r.message.startsWith("hang-")) {
        hang(r.message).resolve(await within(aborted(ctx.signal), 10_000, r.message));
        return {};
      }
      if (r.failCode !== 0) {
        throw new RpcError(r.failCode as Code, r.failMessage, {
          details: [{ typeUrl: "type.googleapis.com/test.Detail", value: Uint8Array.of(1, 2) }],
          metadata: new Metadata({ "x-error-md": "e" }),
        });
      }
      ctx.responseHeader.set("x-header", ctx.metadata.get("x-page") ?? "none");
      ctx.responseTrailer.set("x-trailer", "t");
      ctx.responseTrailer.set("x-bin-len-bin", Uint8Array.of(ctx.metadata.get("x-page-bin")?.length ?? 255));
      return { message: r.message, id: r.id };
    },
    async *serverStream(r, ctx) {
      const times: number[] = [];
      if (r.message.startsWith("timed-")) sendTimes[r.message] = times;
      for (let i = 0; i < r.count; i++) {
        if (r.message.startsWith("lockstep-")) {
          const fmt = r.message.slice("lockstep-".length);
          const acked = deferred();
          acks.set(`ack-${fmt}:${i}`, () => acked.resolve());
          yield { index: i };
          await within(acked.promise, 10_000, `the page acknowledging message ${i}`);
          continue;
        }
        if (i > 0 && r.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, r.delayMs));
        times.push(Date.now());
        yield { index: i, message: r.message };
      }
      if (ctx.signal.aborted) return;
      if (r.failCode !== 0) throw new RpcError(r.failCode as Code, r.failMessage);
    },
  });
}

/**
 * One run of the page against a server: plaintext (Chromium then speaks HTTP/1.1), or TLS with a
 * test certificate (Chromium negotiates HTTP/2 by ALPN; the test checks which protocol it used).
 */
function browserSuite(title: string, tls: boolean): void {
  describe(title, { skip: skipWithout(CHROMIUM) }, () => {
    const state = createState();
    const { sendTimes, hang } = state;
    let grpc: Server | undefined;
    let grpcPort = 0;
    let certs: TestCerts | undefined;
    let page: PageServer | undefined;
    let browser: BrowserHandle | undefined;
    let results: PageResults;
    const protocols = new Set<string>();

    before(async () => {
      const script = await bundleForBrowser(pageEntry);
      page = await servePage({
        "/": {
          type: "text/html",
          body: '<!doctype html><meta charset="utf-8"><script src="/page.js"></script>',
        },
        "/page.js": { type: "text/javascript", body: script },
      });
      grpc = createServer({ cors: { allowedOrigins: [page.origin] } });
      setup(grpc, state);
      if (tls) certs = await generateTestCerts();
      grpcPort = await grpc.listen(
        "127.0.0.1:0",
        certs === undefined ? {} : { tls: { key: certs.server.key, cert: certs.server.cert } },
      );
      // The test CA is not in Chromium's store: for the TLS run it skips certificate checks.
      browser = await launchChromium(tls ? ["--ignore-certificate-errors"] : []);
    });

    after(async () => {
      await browser?.close();
      await page?.close();
      grpc?.forceShutdown();
      await certs?.remove();
    });

    it("the page runs every scenario", { timeout: 60_000 }, async () => {
      const context = browser!.browser.contexts()[0] ?? (await browser!.browser.newContext());
      const tab = await context.newPage();
      const pageErrors: string[] = [];
      tab.on("pageerror", (e) => pageErrors.push(String(e)));
      // The HTTP version of each response from the gRPC server, as Chromium's network layer saw it.
      const cdp = await context.newCDPSession(tab);
      await cdp.send("Network.enable");
      cdp.on("Network.responseReceived", (e) => {
        if (e.response.url.includes(`:${grpcPort}/`)) protocols.add(e.response.protocol ?? "?");
      });
      await tab.goto(`${page!.origin}/`);
      const serverUrl = `${tls ? "https" : "http"}://127.0.0.1:${grpcPort}`;
      results = await tab.evaluate(
        (url) => (globalThis as unknown as { runAll(u: string): Promise<PageResults> }).runAll(url),
        serverUrl,
      );
      await tab.close();
      assert.deepEqual(pageErrors, []);
    });

    it(`Chromium spoke ${tls ? "HTTP/2 (TLS, ALPN h2)" : "HTTP/1.1"} to the server`, () => {
      assert.deepEqual([...protocols], [tls ? "h2" : "http/1.1"]);
    });

    for (const format of ["binary", "text"] as const) {
      describe(`@grpc-ts/web, ${format}`, () => {
        const r = () => results[format];

        it("unary with metadata both ways (custom headers through CORS)", () => {
          assert.deepEqual(r().unary, { ok: { message: `hello ${format}`, id: "42" } });
          assert.equal(r().headers[0]?.["x-header"], format);
          assert.equal(r().trailers[0]?.["x-trailer"], "t");
          assert.equal(r().trailers[0]?.["x-bin-len-bin"], "Aw==", "the page's 3-byte -bin header arrived");
        });

        it("server streaming: messages reach the page one by one", () => {
          assert.deepEqual(r().lockstepResult, { ok: undefined });
          assert.deepEqual(r().lockstep, [0, 1, 2, 3]);
          assert.deepEqual(r().timedResult, { ok: undefined });
          const sent = sendTimes[`timed-${format}`]!;
          const got = r().arrivals;
          assert.equal(got.length, 4);
          assert.equal(sent.length, 4);
          // The first message was in the page before the server had even produced the last one.
          assert.ok(
            got[0]! < sent[3]!,
            `arrivals ${got.map((t) => t - sent[0]!)} vs sends ${sent.map((t) => t - sent[0]!)}`,
          );
          for (let i = 0; i < 4; i++)
            assert.ok(got[i]! >= sent[i]! - 50, `message ${i} arrived after it was sent`);
        });

        it("errors with code, message, details and metadata", () => {
          const e = r().error;
          assert.ok("error" in e);
          assert.equal(e.error.code, Code.FAILED_PRECONDITION);
          assert.equal(e.error.message, `not now (${format}) ✗`);
          assert.deepEqual(e.error.detailTypes, ["type.googleapis.com/test.Detail"]);
          assert.equal(e.error.metadata["x-error-md"], "e");
          const s = r().streamError;
          assert.ok("error" in s);
          assert.equal(s.error.code, Code.ABORTED);
        });

        it("a deadline ends the call in the page and on the server", async () => {
          const d = r().deadline;
          assert.ok("error" in d);
          assert.equal(d.error.code, Code.DEADLINE_EXCEEDED);
          const reason = await within(
            hang(`hang-${format}-deadline`).promise,
            10_000,
            "server saw the deadline",
          );
          assert.ok(reason instanceof RpcError);
          assert.ok([Code.DEADLINE_EXCEEDED, Code.CANCELLED].includes(reason.code as 1 | 4), reason.message);
        });

        it("an AbortSignal cancels the call in the page and on the server", async () => {
          const c = r().cancel;
          assert.ok("error" in c);
          assert.equal(c.error.code, Code.CANCELLED);
          const reason = await within(hang(`hang-${format}-cancel`).promise, 10_000, "server saw the cancel");
          assertRpcError(reason, Code.CANCELLED);
        });

        it("client streaming works as one body; bidi is refused clearly", () => {
          assert.deepEqual(r().clientStream, { ok: "a,b,c" });
          const b = r().bidi;
          assert.ok("error" in b);
          assert.equal(b.error.code, Code.UNIMPLEMENTED);
          assert.match(b.error.message, /bidirectional/);
        });
      });
    }

    describe("Google's grpc-web runtime (text mode, XHR)", () => {
      it("unary", () => {
        assert.deepEqual(results.google.unary, { ok: { message: "from grpc-web", id: "7" } });
      });
      it("an error status", () => {
        assert.equal(results.google.error.code, Code.NOT_FOUND);
        assert.equal(results.google.error.message, "gone");
      });
      it("server streaming", () => {
        assert.deepEqual(results.google.stream, { indexes: [0, 1, 2], status: 0 });
      });
    });
  });
}

browserSuite("gRPC-Web from headless Chromium (HTTP/1.1)", false);
browserSuite("gRPC-Web from headless Chromium (HTTP/2 over TLS)", true);
