import type { Feature, Point } from "./gen/route_guide_pb.js";

/** A small map of named places (coordinates in E7 degrees). */
export const FEATURES: readonly { name: string; latitude: number; longitude: number }[] = [
  { name: "Old Mill Bridge, Riverside Road", latitude: 407_838_351, longitude: -746_143_763 },
  { name: "Lighthouse Point, Harbour Lane", latitude: 408_122_808, longitude: -743_999_179 },
  { name: "Orchard Hill Farm", latitude: 413_628_156, longitude: -749_015_468 },
  { name: "Granite Quarry Trailhead", latitude: 419_999_544, longitude: -740_371_136 },
  { name: "Saint Brendan's Chapel", latitude: 414_008_389, longitude: -743_951_297 },
  { name: "Lakeview Observation Deck", latitude: 419_611_318, longitude: -746_524_769 },
  { name: "Cedar Hollow Campground", latitude: 406_109_563, longitude: -742_186_778 },
  { name: "North Ridge Fire Tower", latitude: 416_802_456, longitude: -742_370_183 },
  { name: "Market Square Clock", latitude: 412_950_425, longitude: -741_077_389 },
  { name: "Willow Creek Falls", latitude: 412_144_655, longitude: -743_949_739 },
  { name: "", latitude: 415_736_605, longitude: -742_847_522 },
  { name: "Railway Museum", latitude: 410_248_224, longitude: -747_127_767 },
  { name: "Sunset Overlook", latitude: 413_843_930, longitude: -740_501_726 },
  { name: "", latitude: 410_873_075, longitude: -744_459_023 },
  { name: "Copper Kettle Inn", latitude: 402_948_455, longitude: -747_903_913 },
];

export function featureAt(point: Point): Feature | undefined {
  const f = FEATURES.find((x) => x.latitude === point.latitude && x.longitude === point.longitude);
  return f === undefined
    ? undefined
    : ({ name: f.name, location: { latitude: f.latitude, longitude: f.longitude } } as Feature);
}

/** Great-circle distance in metres between two E7 points (haversine). */
export function distanceMetres(a: Point, b: Point): number {
  const toRad = (e7: number) => ((e7 / 1e7) * Math.PI) / 180;
  const lat1 = toRad(a.latitude);
  const lat2 = toRad(b.latitude);
  const dLat = lat2 - lat1;
  const dLon = toRad(b.longitude) - toRad(a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) ** 2;
  return Math.round(2 * 6_371_000 * Math.atan2(Math.sqrt(h), Math.sqrt(1 - h)));
}
