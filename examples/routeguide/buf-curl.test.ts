// A real reflection client: `buf curl --reflect` (the buf binary from the npm package @bufbuild/buf)
// lists and calls the services of the example server (npm run example:server), started as a
// process of its own, knowing nothing of route_guide.proto.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type RunResult, runToEnd } from "@grpc-ts/testing";
import { FEATURES } from "./features.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);

function bufScript(): string {
  const manifestPath = require.resolve("@bufbuild/buf/package.json");
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  return join(dirname(manifestPath), manifest.bin.buf!);
}

/** Runs `buf curl` with the given arguments (and stdin), killing it if it outlives the bound. */
function bufCurl(args: readonly string[], stdin = ""): Promise<RunResult> {
  return runToEnd(
    process.execPath,
    [bufScript(), "curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args],
    {
      cwd: root,
      stdin,
    },
  );
}

/** The JSON values in buf curl's output (pretty-printed objects, one after another). */
function jsonValues(text: string): unknown[] {
  return text
    .split(/\n(?=\{)/)
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => JSON.parse(s) as unknown);
}

describe("buf curl --reflect against the example server", () => {
  let server: ChildProcess;
  let url: string;

  before(async () => {
    server = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", "examples/routeguide/server.ts", "--port=0"],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: server.stdout! });
    const timer = setTimeout(() => server.pid !== undefined && process.kill(server.pid, "SIGKILL"), 30_000);
    try {
      for await (const line of lines) {
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
        if (m !== null) {
          url = `http://127.0.0.1:${m[1]}`;
          break;
        }
      }
    } finally {
      clearTimeout(timer);
    }
    assert.ok(url !== undefined, "the example server did not start");
  });

  after(async () => {
    if (server.exitCode !== null || server.pid === undefined) return;
    const exited = new Promise((resolve) => server.once("close", resolve));
    process.kill(server.pid, "SIGTERM");
    const timer = setTimeout(() => server.pid !== undefined && process.kill(server.pid, "SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  });

  it("lists the services and methods", { timeout: 60_000 }, async () => {
    const services = await bufCurl(["--reflect", "--list-services", url]);
    assert.equal(services.code, 0, services.stderr);
    assert.deepEqual(services.stdout.trim().split("\n").sort(), [
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "routeguide.RouteGuide",
    ]);
    const methods = await bufCurl(["--reflect", "--list-methods", url]);
    assert.equal(methods.code, 0, methods.stderr);
    for (const m of ["GetFeature", "ListFeatures", "RecordRoute", "RouteChat"]) {
      assert.ok(methods.stdout.split("\n").includes(`routeguide.RouteGuide/${m}`), methods.stdout);
    }
  });

  it("calls GetFeature (unary) through reflection v1 and v1alpha", { timeout: 60_000 }, async () => {
    const f = FEATURES[0]!;
    for (const protocol of ["grpc-v1", "grpc-v1alpha"]) {
      const run = await bufCurl([
        "--reflect",
        "--reflect-protocol",
        protocol,
        `${url}/routeguide.RouteGuide/GetFeature`,
        "-d",
        JSON.stringify({ latitude: f.latitude, longitude: f.longitude }),
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(jsonValues(run.stdout), [
        { name: f.name, location: { latitude: f.latitude, longitude: f.longitude } },
      ]);
    }
  });

  it("calls ListFeatures (server streaming) and RecordRoute (client streaming from stdin)", {
    timeout: 60_000,
  }, async () => {
    const list = await bufCurl([
      "--reflect",
      `${url}/routeguide.RouteGuide/ListFeatures`,
      "-d",
      JSON.stringify({
        lo: { latitude: 400_000_000, longitude: -750_000_000 },
        hi: { latitude: 420_000_000, longitude: -730_000_000 },
      }),
    ]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(jsonValues(list.stdout).length, FEATURES.filter((f) => f.name !== "").length);

    const points = FEATURES.slice(0, 3).map((f) =>
      JSON.stringify({ latitude: f.latitude, longitude: f.longitude }),
    );
    const record = await bufCurl(
      ["--reflect", `${url}/routeguide.RouteGuide/RecordRoute`, "-d", "@-"],
      points.join("\n"),
    );
    assert.equal(record.code, 0, record.stderr);
    const [summary] = jsonValues(record.stdout) as { pointCount: number; featureCount: number }[];
    assert.equal(summary?.pointCount, 3);
    assert.equal(summary?.featureCount, 3);
  });

  it("checks health, and gets NOT_FOUND for an unknown service", { timeout: 60_000 }, async () => {
    const ok = await bufCurl([
      "--reflect",
      `${url}/grpc.health.v1.Health/Check`,
      "-d",
      '{"service":"routeguide.RouteGuide"}',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(jsonValues(ok.stdout), [{ status: "SERVING" }]);
    const unknown = await bufCurl([
      "--reflect",
      `${url}/grpc.health.v1.Health/Check`,
      "-d",
      '{"service":"nope"}',
    ]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /not[_ ]found/i);
  });
});
