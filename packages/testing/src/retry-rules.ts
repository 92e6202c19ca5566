/**
 * The retry "rule server" on grpc-ts: `grpcts.test.Echo` whose request metadata picks how each
 * attempt of a call is answered, so that a client's retries and hedges (gRFC A6) can be watched
 * from the server's side (interop/retries.test.ts; interop/peers/python/retry_server.py is the same
 * contract on gRPC C-core).
 *
 * Attempts are counted per `x-call-id`; `x-rule` says what attempt i (0, 1, ...) of the call gets:
 * - none: the Echo answer (unary: message, payload, id; clientStream: the messages joined with
 *   ",", `received`, the last id; serverStream: `count` responses); unary and clientStream set
 *   `index` to i;
 * - `fail:<code>:<n>`: status `code` while i < n, then the Echo answer;
 * - `read-all-then-fail:<code>:<n>`: the same (clientStream reads every request message first; it
 *   always does);
 * - `pushback:<value>:<n>`: UNAVAILABLE with the trailer `grpc-retry-pushback-ms: <value>`
 *   (verbatim) while i < n, then the Echo answer;
 * - `headers-then-fail:<code>` (serverStream): response headers (`x-rule-headers: sent`) and one
 *   response message, then status `code`. Unary fails UNIMPLEMENTED: our server sends a unary
 *   call's headers with its response message or not at all (trailers-only), never alone first;
 * - `hang-first`: attempt 0 answers nothing until it is cancelled (and counts that it saw the
 *   cancellation, by `ctx.signal`); later ones answer at once;
 * - `report` (unary): the record of the call id, as JSON in `message` (`RetryRulesRecord`).
 *
 * Anything else fails UNIMPLEMENTED.
 */
import { Code, type HandlerContext, RpcError, type ServiceImpl } from "@grpc-ts/core";
import { isCode } from "@grpc-ts/core/protocol";
import { sleep } from "./async.js";
import type { Echo } from "./gen/echo_pb.js";

/** What `report` answers for a call id. */
export interface RetryRulesRecord {
  /** Per attempt in arrival order: its `grpc-previous-rpc-attempts` ("" when absent). */
  readonly previous: string[];
  /** Per attempt: when it arrived (ms, the server's clock). */
  readonly at: number[];
  /** Per attempt: the request messages it read. */
  readonly received: number[];
  /** Attempts whose cancellation the server saw. */
  cancelled: number;
}

const PREVIOUS_ATTEMPTS = "grpc-previous-rpc-attempts";
const PUSHBACK = "grpc-retry-pushback-ms";
/** How long a hung attempt waits for its cancellation before giving up (a bound, never reached). */
const HANG_LIMIT_MS = 60_000;

function text(ctx: HandlerContext, key: string): string {
  const v = ctx.metadata.get(key);
  return typeof v === "string" ? v : "";
}

function codeOf(s: string | undefined): Code {
  const n = Number(s);
  return Number.isInteger(n) && isCode(n) ? n : Code.UNKNOWN;
}

class Attempt {
  readonly index: number;
  readonly rule: string[];
  readonly #record: RetryRulesRecord;
  readonly #ctx: HandlerContext;

  constructor(records: Map<string, RetryRulesRecord>, ctx: HandlerContext) {
    this.#ctx = ctx;
    const id = text(ctx, "x-call-id");
    this.rule = text(ctx, "x-rule").split(":");
    let record = records.get(id);
    if (record === undefined) {
      record = { previous: [], at: [], received: [], cancelled: 0 };
      records.set(id, record);
    }
    this.#record = record;
    this.index = record.previous.length;
    record.previous.push(text(ctx, PREVIOUS_ATTEMPTS));
    record.at.push(Date.now());
    record.received.push(0);
  }

  received(count: number): void {
    this.#record.received[this.index] = count;
  }

  /** Throws the status the rule asks for, or waits as it says; returns when the attempt is to answer. */
  async apply(method: "unary" | "serverStream" | "clientStream"): Promise<void> {
    const [name = "", ...args] = this.rule;
    const why = `rule ${name}, attempt ${this.index}`;
    if ((name === "fail" || name === "read-all-then-fail") && args.length === 2) {
      if (this.index < Number(args[1])) throw new RpcError(codeOf(args[0]), why);
    } else if (name === "pushback" && args.length === 2) {
      if (this.index < Number(args[1])) {
        this.#ctx.responseTrailer.set(PUSHBACK, args[0]!);
        throw new RpcError(Code.UNAVAILABLE, why);
      }
    } else if (name === "headers-then-fail" && args.length === 1 && method === "serverStream") {
      this.#ctx.responseHeader.set("x-rule-headers", "sent");
    } else if (name === "hang-first" && args.length === 0) {
      if (this.index === 0) await this.#hang();
    } else if (name !== "") {
      throw new RpcError(Code.UNIMPLEMENTED, `rule ${this.rule.join(":")} is not one ${method} knows`);
    }
  }

  async #hang(): Promise<void> {
    try {
      await sleep(HANG_LIMIT_MS, this.#ctx.signal);
    } catch (e) {
      this.#record.cancelled++;
      throw e;
    }
    throw new RpcError(Code.ABORTED, `hang-first: not cancelled in ${HANG_LIMIT_MS} ms`);
  }
}

/** The rule service (see the file's comment); each instance keeps its own records. */
export function createRetryRules(): ServiceImpl<typeof Echo> {
  const records = new Map<string, RetryRulesRecord>();
  return {
    async unary(req, ctx) {
      if (text(ctx, "x-rule") === "report") {
        const record = records.get(text(ctx, "x-call-id")) ?? {
          previous: [],
          at: [],
          received: [],
          cancelled: 0,
        };
        return { message: JSON.stringify(record) };
      }
      const attempt = new Attempt(records, ctx);
      attempt.received(1);
      await attempt.apply("unary");
      return { message: req.message, payload: req.payload, id: req.id, index: attempt.index };
    },
    async clientStream(reqs, ctx) {
      const attempt = new Attempt(records, ctx);
      const messages: string[] = [];
      let id = 0n;
      for await (const req of reqs) {
        messages.push(req.message);
        id = req.id;
        attempt.received(messages.length);
      }
      await attempt.apply("clientStream");
      return { message: messages.join(","), received: messages.length, id, index: attempt.index };
    },
    async *serverStream(req, ctx) {
      const attempt = new Attempt(records, ctx);
      attempt.received(1);
      await attempt.apply("serverStream");
      if (attempt.rule[0] === "headers-then-fail") {
        // Our server sends the headers with the first message: one, then the status.
        yield { message: req.message, index: 0, id: req.id };
        throw new RpcError(codeOf(attempt.rule[1]), `rule headers-then-fail, attempt ${attempt.index}`);
      }
      for (let i = 0; i < req.count; i++)
        yield { message: req.message, payload: req.payload, index: i, id: req.id };
    },
  };
}
