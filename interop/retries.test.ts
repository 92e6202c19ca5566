/**
 * Our client's retries and hedging (gRFC A6) over real sockets, against two servers of the same
 * "rule server" contract: ours (packages/testing/src/retry-rules.ts, in this process) and gRPC
 * C-core (Debian's Python grpcio, interop/peers/python/retry_server.py, a child process ended by its
 * PID in `after`). Request metadata picks what each attempt of a call gets (`x-rule`), attempts are
 * counted per `x-call-id`, and the server's own record of a call (`x-rule: report`: per attempt its
 * `grpc-previous-rpc-attempts`, arrival time by the server's clock and request messages read, and
 * how many attempts it saw cancelled) is what most cases assert: what reached the server, not what
 * the client says it did. Reports go over a channel of their own with no service config, so that
 * they never count in a case's retry throttle. Each case makes a fresh channel to the server.
 *
 * Timing is asserted once, as a protocol fact seen by the server: a pushback of 300 ms shows as the
 * second attempt arriving at least 290 ms after the first (by the server's clock; the client waits
 * from the first attempt's status, which the server sent after that attempt arrived; with the 10 ms
 * backoff it would come about 10 ms after). Hedging is asserted as order: the first attempt, which
 * answers nothing, is still hanging when the hedge (attempt 2) answers the call, and is cancelled
 * after.
 *
 * One difference between the servers: C-core can send a unary call's response headers alone,
 * before a failing status (`send_initial_metadata`); our server sends them with the response
 * message or not at all (trailers-only). The "headers commit the call" case therefore runs on
 * ServerStream on both (headers with one message, then UNAVAILABLE), and on Unary (headers alone,
 * then UNAVAILABLE) against C-core only.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Client, Code, createChannel, createClient, createServer, type Metadata } from "@grpc-ts/node";
import {
  createRetryRules,
  Echo,
  type EchoResponse,
  envelope,
  expectRpcError,
  GRPC_PROTO,
  grpcHeaders,
  PYTHON_GRPCIO,
  REPO_ROOT,
  type RetryRulesRecord,
  rawCall,
  skipWithout,
  sleep,
  statusOf,
  within,
} from "@grpc-ts/testing";
import { startServer, stop } from "./src/matrix/processes.js";

const PYTHON = "/usr/bin/python3";
const ECHO = Echo.typeName;
const PREVIOUS_ATTEMPTS = "grpc-previous-rpc-attempts";
const PUSHBACK = "grpc-retry-pushback-ms";
/** Bound on any one call of a case (each should take milliseconds, or a second at most). */
const CALL_MS = 10_000;

interface RuleServer {
  readonly port: number;
  /** Ends the server (the child process by its PID). */
  stop(): Promise<void>;
}

interface Peer {
  readonly name: string;
  readonly skip: string | false;
  /** Can send a unary call's response headers alone before a failing status. */
  readonly headersAlone: boolean;
  start(): Promise<RuleServer>;
}

const peers: readonly Peer[] = [
  {
    name: "grpc-ts server",
    skip: false,
    headersAlone: false,
    async start() {
      const server = createServer().add(Echo, createRetryRules());
      const port = await server.listen("127.0.0.1:0");
      return { port, stop: () => server.shutdown(1000) };
    },
  },
  {
    name: "C-core server (Python grpcio)",
    skip: skipWithout(GRPC_PROTO, PYTHON_GRPCIO),
    headersAlone: true,
    async start() {
      const s = await startServer(
        { command: PYTHON, args: ["interop/peers/python/retry_server.py"] },
        [],
        REPO_ROOT,
        30_000,
      );
      return { port: s.port, stop: () => stop(s.child, 1000) };
    },
  },
];

type RetryPolicyJson = {
  readonly maxAttempts: number;
  readonly initialBackoff: string;
  readonly maxBackoff: string;
  readonly backoffMultiplier: number;
  readonly retryableStatusCodes: readonly string[];
};

/** A service config retrying every Echo method (fast backoffs unless `policy` says otherwise). */
function retrying(policy: Partial<RetryPolicyJson> = {}, extra: object = {}): object {
  const retryPolicy: RetryPolicyJson = {
    maxAttempts: 3,
    initialBackoff: "0.01s",
    maxBackoff: "0.05s",
    backoffMultiplier: 2,
    retryableStatusCodes: ["UNAVAILABLE"],
    ...policy,
  };
  return { methodConfig: [{ name: [{ service: ECHO }], retryPolicy }], ...extra };
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isNumbers(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => typeof n === "number");
}

function parseRecord(text: string): RetryRulesRecord {
  const v: unknown = JSON.parse(text);
  if (
    typeof v !== "object" ||
    v === null ||
    !("previous" in v && isStrings(v.previous)) ||
    !("at" in v && isNumbers(v.at)) ||
    !("received" in v && isNumbers(v.received)) ||
    !("cancelled" in v && typeof v.cancelled === "number")
  )
    throw new Error(`unexpected report: ${text}`);
  return { previous: v.previous, at: v.at, received: v.received, cancelled: v.cancelled };
}

function trailerText(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key);
  return typeof v === "string" ? v : undefined;
}

for (const peer of peers) {
  describe(`retries against the ${peer.name}`, { skip: peer.skip, timeout: 60_000 }, () => {
    let server: RuleServer | undefined;
    let reports: Client<typeof Echo> | undefined;
    let closeReports: (() => void) | undefined;

    before(async () => {
      server = await within(peer.start(), 30_000, `${peer.name} listening`);
      const channel = createChannel(target());
      closeReports = () => channel.close();
      reports = createClient(Echo, channel);
    });

    after(async () => {
      closeReports?.();
      await server?.stop();
    });

    function target(): string {
      return `ipv4:127.0.0.1:${server!.port}`;
    }

    /** Runs `fn` with a client on a fresh channel with `serviceConfig`, closed after it. */
    async function withClient<T>(
      serviceConfig: object,
      fn: (client: Client<typeof Echo>) => Promise<T>,
    ): Promise<T> {
      const channel = createChannel(target(), { serviceConfig });
      try {
        return await fn(createClient(Echo, channel));
      } finally {
        channel.close();
      }
    }

    /** A new call id, and the request metadata that gives it `rule`. */
    function newCall(rule?: string): { readonly id: string; readonly metadata: Record<string, string> } {
      const id = randomUUID();
      return { id, metadata: rule === undefined ? { "x-call-id": id } : { "x-call-id": id, "x-rule": rule } };
    }

    /** What the server saw of call `id`. */
    async function report(id: string): Promise<RetryRulesRecord> {
      const r = await within(
        reports!.unary({}, { metadata: { "x-call-id": id, "x-rule": "report" } }),
        CALL_MS,
        "report",
      );
      return parseRecord(r.message);
    }

    /** Asks for call `id`'s record until `check` holds: at most 100 times, 20 ms apart. */
    async function reportWhen(
      id: string,
      check: (r: RetryRulesRecord) => boolean,
      what: string,
    ): Promise<RetryRulesRecord> {
      for (let i = 0; ; i++) {
        const r = await report(id);
        if (check(r)) return r;
        if (i >= 100) assert.fail(`${what}: not seen in 100 reports; last ${JSON.stringify(r)}`);
        await sleep(20);
      }
    }

    it("retries UNAVAILABLE twice, then succeeds; attempts carry grpc-previous-rpc-attempts 1, 2; so does the trailer", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("fail:14:2");
        let trailer: Metadata | undefined;
        const r = await within(
          client.unary({ message: "three" }, { metadata, onTrailer: (t) => (trailer = t) }),
          CALL_MS,
          "call",
        );
        assert.equal(r.message, "three");
        assert.equal(r.index, 2, "the third attempt answered");
        assert.equal(trailerText(trailer, PREVIOUS_ATTEMPTS), "2");
        assert.deepEqual((await report(id)).previous, ["", "1", "2"]);
      });
    });

    it("does not retry a status that is not retryable (INVALID_ARGUMENT)", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("fail:3:1");
        const e = await within(
          expectRpcError(client.unary({}, { metadata }), Code.INVALID_ARGUMENT),
          CALL_MS,
          "call",
        );
        assert.equal(trailerText(e.metadata, PREVIOUS_ATTEMPTS), undefined, "one attempt: no count");
        // A retry would have succeeded (the rule fails the first attempt only).
        assert.deepEqual((await report(id)).previous, [""]);
      });
    });

    it("does not retry once response headers came (ServerStream: headers and a message, then UNAVAILABLE)", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("headers-then-fail:14");
        let header: Metadata | undefined;
        const got: EchoResponse[] = [];
        const read = async () => {
          for await (const m of client.serverStream(
            { message: "h" },
            { metadata, onHeader: (h) => (header = h) },
          ))
            got.push(m);
        };
        await within(expectRpcError(read(), Code.UNAVAILABLE), CALL_MS, "call");
        assert.equal(trailerText(header, "x-rule-headers"), "sent", "the response headers arrived");
        assert.deepEqual(
          got.map((m) => m.message),
          ["h"],
        );
        assert.deepEqual((await report(id)).previous, [""]);
      });
    });

    it("does not retry once response headers came (Unary: headers alone, then UNAVAILABLE)", {
      skip: peer.headersAlone
        ? false
        : "our server sends a unary call's headers with its response message or not at all",
    }, async () => {
      await withClient(retrying(), async (client) => {
        // On the wire, first: the headers come in a HEADERS frame of their own (not a
        // trailers-only response), the status in the trailers after them.
        const probe = newCall("headers-then-fail:14");
        const raw = await rawCall(server!.port, grpcHeaders(`/${ECHO}/Unary`, probe.metadata), {
          body: [envelope(new Uint8Array(0))],
        });
        assert.equal(raw.headers["x-rule-headers"], "sent");
        assert.equal(raw.headers["grpc-status"], undefined, "not trailers-only");
        assert.equal(statusOf(raw).code, Code.UNAVAILABLE);
        assert.notEqual(raw.trailers, undefined);
        // The rule fails every attempt with a retryable status: one attempt in all is what shows
        // that the headers committed the call (without them, it would be three). A unary call's
        // onHeader is called only when it succeeds, so our client's view of the headers is not
        // asserted here.
        const { id, metadata } = newCall("headers-then-fail:14");
        await within(expectRpcError(client.unary({}, { metadata }), Code.UNAVAILABLE), CALL_MS, "call");
        assert.deepEqual((await report(id)).previous, [""]);
      });
    });

    it("retries a client stream by sending all its messages again", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("read-all-then-fail:14:1");
        const messages = ["m0", "m1", "m2", "m3", "m4"].map((message, i) => ({ message, id: BigInt(i) }));
        const r = await within(client.clientStream(messages, { metadata }), CALL_MS, "call");
        assert.equal(r.received, 5);
        assert.equal(r.message, "m0,m1,m2,m3,m4", "the same messages, in order");
        assert.equal(r.index, 1, "the second attempt answered");
        const seen = await report(id);
        assert.deepEqual(seen.previous, ["", "1"]);
        assert.deepEqual(seen.received, [5, 5]);
      });
    });

    it("hedging: the hedge answers while the first attempt hangs, which is then cancelled", async () => {
      const hedging = {
        methodConfig: [
          {
            name: [{ service: ECHO }],
            hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.2s", nonFatalStatusCodes: ["UNAVAILABLE"] },
          },
        ],
      };
      await withClient(hedging, async (client) => {
        const { id, metadata } = newCall("hang-first");
        const r = await within(client.unary({ message: "hedged" }, { metadata }), CALL_MS, "call");
        assert.equal(r.message, "hedged");
        assert.equal(r.index, 1, "the hedge answered (the first attempt answers nothing)");
        const seen = await reportWhen(id, (s) => s.cancelled >= 1, "the first attempt's cancellation");
        assert.deepEqual(seen.previous, ["", "1"]);
        assert.equal(seen.cancelled, 1);
        // No bound on when the hedge came: the hedging delay runs from the call's start, and the
        // first attempt reaches the server only once the fresh channel has connected, so the
        // server sees less than 200 ms between them (186 ms in one run on a loaded machine).
      });
    });

    it("honours a pushback of 300 ms (over a backoff of 10 ms)", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("pushback:300:1");
        const r = await within(client.unary({}, { metadata }), CALL_MS, "call");
        assert.equal(r.index, 1);
        const seen = await report(id);
        assert.deepEqual(seen.previous, ["", "1"]);
        const gap = seen.at[1]! - seen.at[0]!;
        assert.ok(
          gap >= 290,
          `the retry came ${gap} ms after the first attempt, not after the 300 ms pushback`,
        );
      });
    });

    it("does not retry after a pushback of -1", async () => {
      await withClient(retrying(), async (client) => {
        const { id, metadata } = newCall("pushback:-1:1");
        const e = await within(
          expectRpcError(client.unary({}, { metadata }), Code.UNAVAILABLE),
          CALL_MS,
          "call",
        );
        assert.equal(trailerText(e.metadata, PUSHBACK), "-1", "the server's pushback reached the client");
        // A retry would have succeeded (the rule pushes back on the first attempt only).
        assert.deepEqual((await report(id)).previous, [""]);
      });
    });

    it("throttles retries: maxTokens 4, tokenRatio 1 (retries only while more than 2 tokens are left)", async () => {
      await withClient(retrying({}, { retryThrottling: { maxTokens: 4, tokenRatio: 1 } }), async (client) => {
        // Each failed attempt (UNAVAILABLE) takes a token, each successful call gives one back; a
        // failed attempt is retried only if more than 2 tokens are left after it is counted.
        const steps: readonly { readonly ok: boolean; readonly attempts: number; readonly tokens: string }[] =
          [
            { ok: false, attempts: 2, tokens: "4 → 3 (retried) → 2 (not)" },
            { ok: false, attempts: 1, tokens: "2 → 1" },
            { ok: true, attempts: 1, tokens: "1 → 2" },
            { ok: true, attempts: 1, tokens: "2 → 3" },
            { ok: false, attempts: 1, tokens: "3 → 2" },
            { ok: true, attempts: 1, tokens: "2 → 3" },
            { ok: true, attempts: 1, tokens: "3 → 4" },
            { ok: false, attempts: 2, tokens: "4 → 3 (retried) → 2 (not)" },
          ];
        const seen: number[] = [];
        /** The failed calls' grpc-previous-rpc-attempts, from their errors' metadata. */
        const told: (string | undefined)[] = [];
        for (const step of steps) {
          const { id, metadata } = newCall(step.ok ? undefined : "fail:14:100");
          if (step.ok) await within(client.unary({}, { metadata }), CALL_MS, "call");
          else {
            const e = await within(
              expectRpcError(client.unary({}, { metadata }), Code.UNAVAILABLE),
              CALL_MS,
              "call",
            );
            told.push(trailerText(e.metadata, PREVIOUS_ATTEMPTS));
          }
          seen.push((await report(id)).previous.length);
        }
        assert.deepEqual(
          seen,
          steps.map((s) => s.attempts),
          `attempts per call; tokens: ${steps.map((s) => s.tokens).join("; ")}`,
        );
        assert.deepEqual(
          told,
          ["1", undefined, undefined, "1"],
          "the errors count the attempts before theirs",
        );
      });
    });

    it("a deadline shorter than the backoff ends the call with DEADLINE_EXCEEDED and no late retry", async () => {
      // A backoff of 0.6 s (0.48 to 0.72 s with its jitter) and a 300 ms deadline: a retry the
      // deadline did not cancel would reach the server before the report taken 1 s after the start.
      const backoff = { initialBackoff: "0.6s", maxBackoff: "0.6s" };
      await withClient(retrying(backoff), async (client) => {
        const { id, metadata } = newCall("fail:14:1");
        const start = Date.now();
        await within(
          expectRpcError(client.unary({}, { metadata, timeoutMs: 300 }), Code.DEADLINE_EXCEEDED),
          CALL_MS,
          "call",
        );
        await sleep(Math.max(0, start + 1000 - Date.now()));
        assert.deepEqual((await report(id)).previous, [""]);
      });
    });
  });
}
