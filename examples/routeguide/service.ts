import type { ServiceImpl } from "@grpc-ts/node";
import { distanceMetres, FEATURES, featureAt } from "./features.js";
import { type Point, RouteGuide, type RouteNote } from "./gen/route_guide_pb.js";

const key = (p: Point | undefined) => `${p?.latitude ?? 0},${p?.longitude ?? 0}`;

/** The RouteGuide implementation: one handler per call kind. */
export function createRouteGuideService(): ServiceImpl<typeof RouteGuide> {
  const notes = new Map<string, RouteNote[]>();
  return {
    // Unary: the feature at a point, or an unnamed feature there.
    getFeature(point) {
      return featureAt(point) ?? { name: "", location: point };
    },
    // Server streaming: every feature inside the rectangle.
    async *listFeatures(rect, ctx) {
      const lo = rect.lo ?? { latitude: 0, longitude: 0 };
      const hi = rect.hi ?? { latitude: 0, longitude: 0 };
      const [minLat, maxLat] = [Math.min(lo.latitude, hi.latitude), Math.max(lo.latitude, hi.latitude)];
      const [minLon, maxLon] = [Math.min(lo.longitude, hi.longitude), Math.max(lo.longitude, hi.longitude)];
      for (const f of FEATURES) {
        if (ctx.signal.aborted) return;
        if (f.name === "") continue;
        if (f.latitude >= minLat && f.latitude <= maxLat && f.longitude >= minLon && f.longitude <= maxLon) {
          yield { name: f.name, location: { latitude: f.latitude, longitude: f.longitude } };
        }
      }
    },
    // Client streaming: count points and features on the route, and its length.
    async recordRoute(points) {
      const start = Date.now();
      let pointCount = 0;
      let featureCount = 0;
      let distance = 0;
      let previous: Point | undefined;
      for await (const p of points) {
        pointCount++;
        if (featureAt(p)?.name) featureCount++;
        if (previous !== undefined) distance += distanceMetres(previous, p);
        previous = p;
      }
      return { pointCount, featureCount, distance, elapsedTime: Math.round((Date.now() - start) / 1000) };
    },
    // Bidi streaming: for each note, first send back the notes left earlier at the same place.
    async *routeChat(incoming) {
      for await (const note of incoming) {
        const here = notes.get(key(note.location)) ?? [];
        for (const earlier of here) yield earlier;
        here.push(note);
        notes.set(key(note.location), here);
      }
    },
  };
}

export { RouteGuide };
