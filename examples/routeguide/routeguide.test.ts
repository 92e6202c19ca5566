import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { createChannel, createClient, createServer } from "@grpc-ts/node";
import { runRouteGuideClient } from "./client.js";
import { FEATURES } from "./features.js";
import { RouteGuide } from "./gen/route_guide_pb.js";
import { createRouteGuideService } from "./service.js";

const server = createServer().add(RouteGuide, createRouteGuideService());
let port = 0;
before(async () => {
  port = await server.listen("127.0.0.1:0");
});
after(() => server.forceShutdown());

test("the example client makes all four calls against the example server", async () => {
  const channel = createChannel(`127.0.0.1:${port}`);
  const lines: string[] = [];
  try {
    await runRouteGuideClient(channel, (l) => lines.push(l));
  } finally {
    channel.close();
  }
  const named = FEATURES.filter((f) => f.name !== "").length;
  assert.ok(
    lines.includes(
      `GetFeature: "${FEATURES[0]!.name}" at (${FEATURES[0]!.latitude / 1e7}, ${FEATURES[0]!.longitude / 1e7})`,
    ),
  );
  assert.ok(lines.includes(`ListFeatures: ${named} features in the rectangle`));
  assert.ok(lines.some((l) => /^RecordRoute: 6 points, 6 features, \d+ m, \d+ s$/.test(l)));
  // Six notes at three places: each of the last three finds one earlier note at its place.
  assert.ok(lines.includes("RouteChat: 3 notes received"));
});

test("each handler answers as RouteGuide should", async () => {
  const channel = createChannel(`127.0.0.1:${port}`);
  const client = createClient(RouteGuide, channel);
  try {
    const unnamed = await client.getFeature({ latitude: 1, longitude: 2 });
    assert.equal(unnamed.name, "");
    assert.deepEqual([unnamed.location?.latitude, unnamed.location?.longitude], [1, 2]);
    const none = [];
    for await (const f of client.listFeatures({
      lo: { latitude: 0, longitude: 0 },
      hi: { latitude: 1, longitude: 1 },
    }))
      none.push(f);
    assert.equal(none.length, 0);
    const summary = await client.recordRoute([]);
    assert.equal(summary.pointCount, 0);
    const echoes = [];
    for await (const n of client.routeChat([{ message: "a" }, { message: "b" }])) echoes.push(n.message);
    assert.deepEqual(echoes, ["a"]);
  } finally {
    channel.close();
  }
});

test("npm start runs the example and exits 0", () => {
  const root = new URL("../..", import.meta.url).pathname;
  const r = spawnSync(
    process.execPath,
    ["--conditions=source", "--import", "tsx", "examples/routeguide/main.ts"],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /all four calls completed/);
  assert.match(r.stdout, /GetFeature: .*\nGetFeature: .*/);
});
