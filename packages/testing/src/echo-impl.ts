/**
 * An implementation of `grpcts.test.Echo` for the TLS and cross-implementation tests, with hooks
 * that let a test see each call's context (metadata, TLS facts, the abort signal) and shape the
 * response (headers, trailers, error details).
 */
import {
  type Code,
  type ErrorDetailInput,
  type HandlerContext,
  RpcError,
  type ServiceImpl,
} from "@grpc-ts/core";
import { sleep } from "./async.js";
import type { Echo, EchoRequest } from "./gen/echo_pb.js";

export type EchoMethodName = "unary" | "serverStream" | "clientStream" | "bidi";

export interface EchoHooks {
  /** Called when a handler starts, before it reads or answers anything. */
  onCall?: (method: EchoMethodName, ctx: HandlerContext) => void;
  /** Details attached to the errors that `fail_code` asks for. */
  failDetails?: readonly ErrorDetailInput[];
}

async function knobs(req: EchoRequest, ctx: HandlerContext, hooks: EchoHooks): Promise<void> {
  if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
  if (req.failCode !== 0) {
    throw new RpcError(
      req.failCode as Code,
      req.failMessage,
      hooks.failDetails ? { details: hooks.failDetails } : {},
    );
  }
}

/**
 * Unary echoes the request; ServerStream sends `count` copies (index 0..count-1); ClientStream
 * answers the messages joined with `,` and how many there were; Bidi echoes each message with its
 * index. `delay_ms` waits first (ending early when the call is cancelled), `fail_code` fails.
 */
export function createEchoImpl(hooks: EchoHooks = {}): ServiceImpl<typeof Echo> {
  return {
    async unary(req, ctx) {
      hooks.onCall?.("unary", ctx);
      await knobs(req, ctx, hooks);
      return { message: req.message, payload: req.payload, id: req.id };
    },
    async *serverStream(req, ctx) {
      hooks.onCall?.("serverStream", ctx);
      await knobs(req, ctx, hooks);
      for (let i = 0; i < req.count; i++) yield { message: req.message, index: i, id: req.id };
    },
    async clientStream(reqs, ctx) {
      hooks.onCall?.("clientStream", ctx);
      const messages: string[] = [];
      for await (const req of reqs) {
        await knobs(req, ctx, hooks);
        messages.push(req.message);
      }
      return { message: messages.join(","), received: messages.length };
    },
    async *bidi(reqs, ctx) {
      hooks.onCall?.("bidi", ctx);
      let i = 0;
      for await (const req of reqs) {
        await knobs(req, ctx, hooks);
        yield { message: req.message, payload: req.payload, index: i++, id: req.id };
      }
    },
  };
}
