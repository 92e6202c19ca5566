// Retries and hedging (gRFC A6), chosen by the channel's service config. One RouteGuide server
// that is flaky on purpose: GetFeature fails with UNAVAILABLE on the first two attempts of every
// call, and on a hedged call (x-slow: 1) its first attempt hangs until cancelled.
//
// - With a retryPolicy the client sends each call again after a short backoff, and the call
//   succeeds on its third attempt; the server sees grpc-previous-rpc-attempts 1 and 2 on the
//   retries, and the client finds the same count in the call's trailers.
// - With a hedgingPolicy a second attempt goes out after hedgingDelay without waiting for the
//   first; its answer wins and the first attempt is cancelled.
// - A call with `retries: false` gets the server's first answer, UNAVAILABLE.
import { Code, createChannel, createClient, createServer, RpcError } from "@grpc-ts/node";
import { RouteGuide } from "../routeguide/gen/route_guide_pb.js";
import { createRouteGuideService } from "../routeguide/service.js";

const SERVICE = "routeguide.RouteGuide";

export interface RetriesExampleResult {
  /** grpc-previous-rpc-attempts as the server saw it, per attempt of the retried call ("" absent). */
  readonly retriedCallAttempts: readonly string[];
  /** grpc-previous-rpc-attempts in the retried call's trailers. */
  readonly previousAttemptsInTrailer: string | undefined;
  /** Attempts of the hedged call the server saw, and how many of them it saw cancelled. */
  readonly hedgedCallAttempts: number;
  readonly hedgedCallCancelled: number;
  /** The code of the call made with `retries: false`, and the attempts the server saw of it. */
  readonly optOutCode: Code | undefined;
  readonly optOutAttempts: number;
}

export async function runRetriesExample(
  log: (line: string) => void = console.log,
): Promise<RetriesExampleResult> {
  const routeGuide = createRouteGuideService();
  const seen: string[] = [];
  let hedged = 0;
  let cancelled = 0;
  const server = createServer();
  server.add(RouteGuide, {
    ...routeGuide,
    async getFeature(point, ctx) {
      const previous = Number(ctx.metadata.get("grpc-previous-rpc-attempts") ?? "0");
      if (ctx.metadata.get("x-slow") === "1") {
        hedged++;
        if (previous === 0) {
          // The first attempt of a hedged call hangs; the hedge's answer cancels it.
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          cancelled++;
          throw new RpcError(Code.CANCELLED, "cancelled by the client");
        }
        return routeGuide.getFeature!(point, ctx);
      }
      seen.push(previous === 0 ? "" : String(previous));
      if (previous < 2) throw new RpcError(Code.UNAVAILABLE, `flaky on purpose (attempt ${previous + 1})`);
      return routeGuide.getFeature!(point, ctx);
    },
  });
  const port = await server.listen("127.0.0.1:0");
  const target = `127.0.0.1:${port}`;
  const retrying = createChannel(target, {
    serviceConfig: {
      methodConfig: [
        {
          name: [{ service: SERVICE, method: "GetFeature" }],
          retryPolicy: {
            maxAttempts: 4,
            initialBackoff: "0.05s",
            maxBackoff: "0.5s",
            backoffMultiplier: 2,
            retryableStatusCodes: ["UNAVAILABLE"],
          },
        },
      ],
    },
  });
  const hedging = createChannel(target, {
    serviceConfig: {
      methodConfig: [
        {
          name: [{ service: SERVICE, method: "GetFeature" }],
          hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.1s", nonFatalStatusCodes: ["UNAVAILABLE"] },
        },
      ],
    },
  });
  const point = { latitude: 407_838_351, longitude: -746_143_763 }; // Old Mill Bridge
  try {
    const client = createClient(RouteGuide, retrying);
    let trailer: string | undefined;
    const feature = await client.getFeature(point, {
      timeoutMs: 5000,
      onTrailer: (t) => (trailer = t.get("grpc-previous-rpc-attempts")),
    });
    const retriedCallAttempts = [...seen];
    log(
      `retryPolicy: "${feature.name}" after ${seen.length} attempts (trailer grpc-previous-rpc-attempts: ${trailer})`,
    );

    let optOutCode: Code | undefined;
    seen.length = 0;
    try {
      await client.getFeature(point, { timeoutMs: 5000, retries: false });
    } catch (e) {
      optOutCode = e instanceof RpcError ? e.code : undefined;
      log(`retries: false: ${e instanceof Error ? e.message : String(e)}`);
    }
    const optOutAttempts = seen.length;
    log(`retries: false: the server saw ${optOutAttempts} attempt`);

    const hedgedClient = createClient(RouteGuide, hedging);
    const started = Date.now();
    const again = await hedgedClient.getFeature(point, { timeoutMs: 5000, metadata: { "x-slow": "1" } });
    log(
      `hedgingPolicy: "${again.name}" in ${Date.now() - started} ms, from the hedge; the first attempt hung`,
    );
    for (let i = 0; i < 200 && cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));
    log(`the server saw ${hedged} attempts of the hedged call, ${cancelled} of them cancelled`);
    return {
      retriedCallAttempts,
      previousAttemptsInTrailer: trailer,
      hedgedCallAttempts: hedged,
      hedgedCallCancelled: cancelled,
      optOutCode,
      optOutAttempts,
    };
  } finally {
    retrying.close();
    hedging.close();
    server.forceShutdown();
  }
}
