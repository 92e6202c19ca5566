import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FEATURES } from "../routeguide/features.js";
import { runWebDemo } from "./demo.js";
import { startWebExample, type WebExample } from "./serve.js";

let example: WebExample;
before(async () => {
  example = await startWebExample({ port: 0, grpcPort: 0 });
});
after(() => example.close());

test("the example serves its page and bundled script", async () => {
  const page = await fetch(`${example.pageUrl}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.ok(html.includes(`content="${example.grpcUrl}"`));
  const script = await fetch(`${example.pageUrl}/app.js`);
  assert.equal(script.status, 200);
  assert.ok((await script.text()).length > 1000);
});

for (const format of ["binary", "text"] as const) {
  test(`the page's calls work against the example server (${format})`, async () => {
    const lines: string[] = [];
    await runWebDemo({ baseUrl: example.grpcUrl, format }, (l) => lines.push(l));
    const first = FEATURES[0]!;
    assert.equal(
      lines[0],
      `GetFeature: "${first.name}" at (${first.latitude / 1e7}, ${first.longitude / 1e7})`,
    );
    const named = FEATURES.filter((f) => f.name !== "").length;
    assert.ok(lines.includes(`ListFeatures: ${named} features in the rectangle`), lines.join("\n"));
    assert.ok(lines.some((l) => /^RecordRoute: 4 points, 4 features, \d+ m$/.test(l)));
    assert.ok(lines.includes("RouteChat: not available over gRPC-Web"));
  });
}

test("the gRPC server allows the page's origin (CORS preflight)", async () => {
  const res = await fetch(`${example.grpcUrl}/routeguide.RouteGuide/GetFeature`, {
    method: "OPTIONS",
    headers: {
      origin: example.pageUrl,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type,x-grpc-web,x-user-agent",
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), example.pageUrl);
});
