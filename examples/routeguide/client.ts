import { type Client, createClient, type Transport } from "@grpc-ts/node";
import { FEATURES } from "./features.js";
import { RouteGuide } from "./gen/route_guide_pb.js";

/** Runs each of the four calls once and reports what came back. */
export async function runRouteGuideClient(
  transport: Transport,
  log: (line: string) => void = console.log,
): Promise<void> {
  const client: Client<typeof RouteGuide> = createClient(RouteGuide, transport);

  // Unary
  const feature = await client.getFeature(
    { latitude: 409_146_138, longitude: -746_188_906 },
    { timeoutMs: 5000 },
  );
  log(`GetFeature: "${feature.name}" at ${fmt(feature.location)} (no feature there)`);
  const named = await client.getFeature({
    latitude: FEATURES[0]!.latitude,
    longitude: FEATURES[0]!.longitude,
  });
  log(`GetFeature: "${named.name}" at ${fmt(named.location)}`);

  // Server streaming
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

  // Client streaming
  const route = FEATURES.slice(0, 6).map((f) => ({ latitude: f.latitude, longitude: f.longitude }));
  const summary = await client.recordRoute(route, { timeoutMs: 5000 });
  log(
    `RecordRoute: ${summary.pointCount} points, ${summary.featureCount} features, ${summary.distance} m, ${summary.elapsedTime} s`,
  );

  // Bidi streaming
  const at = (latitude: number, longitude: number) => ({ latitude, longitude });
  const notes = [
    { location: at(0, 1), message: "First message" },
    { location: at(0, 2), message: "Second message" },
    { location: at(0, 3), message: "Third message" },
    { location: at(0, 1), message: "Fourth message" },
    { location: at(0, 2), message: "Fifth message" },
    { location: at(0, 3), message: "Sixth message" },
  ];
  let received = 0;
  for await (const n of client.routeChat(notes, { timeoutMs: 5000 })) {
    received++;
    log(`RouteChat: got "${n.message}" at ${fmt(n.location)}`);
  }
  log(`RouteChat: ${received} notes received`);
}

function fmt(p: { latitude: number; longitude: number } | undefined): string {
  return p === undefined ? "(none)" : `(${p.latitude / 1e7}, ${p.longitude / 1e7})`;
}
