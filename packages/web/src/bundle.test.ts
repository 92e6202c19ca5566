// The browser bundle: a minimal app (one unary call of a protobuf-es service) bundles for the
// browser with no Node built-ins; its gzipped size is printed (and reported in the README).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../../..", import.meta.url));

async function bundle(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: "app.ts", loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    minify: true,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

test("a minimal gRPC-Web app bundles for the browser without Node built-ins", async () => {
  const js = await bundle(`
    import { createClient } from "@grpc-ts/core";
    import { createGrpcWebTransport } from "@grpc-ts/web";
    import { RouteGuide } from "./examples/routeguide/gen/route_guide_pb.js";
    const client = createClient(RouteGuide, createGrpcWebTransport({ baseUrl: "https://api.example.com" }));
    client.getFeature({ latitude: 1, longitude: 2 }).then((f) => console.log(f.name));
  `);
  assert.doesNotMatch(js, /\bnode:[a-z]/, "no node: imports");
  assert.doesNotMatch(js, /\brequire\(/, "no CommonJS requires");
  const gz = gzipSync(js, { level: 9 }).length;
  console.log(
    `minimal @grpc-ts/web bundle (one unary call, protobuf-es service): ${js.length} B, ${gz} B gzipped`,
  );
  assert.ok(gz > 0);
});
