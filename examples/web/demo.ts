// What the example page does, kept apart from the DOM so that the test can run it with Node's fetch:
// RouteGuide from a browser over gRPC-Web, with the same createClient as on Node.
import { Code, createClient, RpcError } from "@grpc-ts/core";
import { createGrpcWebTransport } from "@grpc-ts/web";
import { FEATURES } from "../routeguide/features.js";
import { RouteGuide } from "../routeguide/gen/route_guide_pb.js";

export interface DemoOptions {
  /** The gRPC server's URL, e.g. `http://127.0.0.1:50051`. */
  readonly baseUrl: string;
  readonly format?: "binary" | "text";
  /** A fetch to use instead of the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

const fmt = (p: { latitude: number; longitude: number } | undefined) =>
  p === undefined ? "(none)" : `(${p.latitude / 1e7}, ${p.longitude / 1e7})`;

/** Calls RouteGuide and reports each result through `log` as soon as it arrives. */
export async function runWebDemo(options: DemoOptions, log: (line: string) => void): Promise<void> {
  const transport = createGrpcWebTransport({
    baseUrl: options.baseUrl,
    format: options.format ?? "binary",
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const client = createClient(RouteGuide, transport);

  // Unary
  const first = FEATURES[0]!;
  const feature = await client.getFeature(
    { latitude: first.latitude, longitude: first.longitude },
    { timeoutMs: 5000 },
  );
  log(`GetFeature: "${feature.name}" at ${fmt(feature.location)}`);

  // Server streaming: each feature is shown as it arrives.
  const rect = {
    lo: { latitude: 400_000_000, longitude: -750_000_000 },
    hi: { latitude: 420_000_000, longitude: -730_000_000 },
  };
  let listed = 0;
  for await (const f of client.listFeatures(rect, { timeoutMs: 5000 })) {
    listed++;
    log(`ListFeatures: "${f.name}" at ${fmt(f.location)}`);
  }
  log(`ListFeatures: ${listed} features in the rectangle`);

  // Client streaming: over fetch the points go in one request body.
  const route = FEATURES.slice(0, 4).map((f) => ({ latitude: f.latitude, longitude: f.longitude }));
  const summary = await client.recordRoute(route, { timeoutMs: 5000 });
  log(`RecordRoute: ${summary.pointCount} points, ${summary.featureCount} features, ${summary.distance} m`);

  // Bidi streaming cannot be carried by fetch: the client says so at once.
  try {
    for await (const _ of client.routeChat([{ message: "hi" }])) {
      // not reached
    }
  } catch (e) {
    const err = RpcError.from(e);
    log(`RouteChat: ${err.code === Code.UNIMPLEMENTED ? "not available over gRPC-Web" : err.message}`);
  }
}
