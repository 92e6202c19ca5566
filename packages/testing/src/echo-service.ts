import { Code, RpcError, type ServiceImpl } from "@grpc-ts/core";
import { isCode } from "@grpc-ts/core/protocol";
import { sleep } from "./async.js";
import type { Echo, EchoRequest } from "./gen/echo_pb.js";

/** Throws the status a request asks for with `fail_code` (a non-zero code). */
export function failIfAsked(req: EchoRequest): void {
  if (req.failCode === 0) return;
  throw new RpcError(isCode(req.failCode) ? req.failCode : Code.UNKNOWN, req.failMessage);
}

/**
 * - unary: waits `delay_ms`, fails with `fail_code`, else echoes message, payload and id.
 * - serverStream: `count` responses (index 0..count-1), each after `delay_ms`; then fails with `fail_code` if set.
 * - clientStream: counts the requests (`received`), joins their messages with ","; the last id;
 *   a request with `fail_code` fails the call; `delay_ms` of each request is waited for after it.
 * - bidi: one response per request (index counts), after its `delay_ms`; a request with `fail_code` fails.
 */
export function createEchoService(): ServiceImpl<typeof Echo> {
  return {
    async unary(req, ctx) {
      if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      failIfAsked(req);
      return { message: req.message, payload: req.payload, id: req.id };
    },
    async *serverStream(req, ctx) {
      for (let i = 0; i < req.count; i++) {
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
        yield { message: req.message, payload: req.payload, index: i, id: req.id };
      }
      failIfAsked(req);
    },
    async clientStream(requests, ctx) {
      let received = 0;
      let id = 0n;
      const parts: string[] = [];
      for await (const req of requests) {
        failIfAsked(req);
        received++;
        parts.push(req.message);
        id = req.id;
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      }
      return { received, message: parts.join(","), id };
    },
    async *bidi(requests, ctx) {
      let index = 0;
      for await (const req of requests) {
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
        failIfAsked(req);
        yield { message: req.message, payload: req.payload, index: index++, id: req.id };
      }
    },
  };
}
