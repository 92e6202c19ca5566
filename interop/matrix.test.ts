/**
 * The interop matrix as part of `npm test`: grpc-ts's client and server against each other,
 * against @grpc/grpc-js and against gRPC C-core (Python grpcio), in plaintext and TLS. Prints the
 * summary table; fails on any failed case, and when the machine lacks a peer (naming the package).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GRPC_PROTO, PYTHON_GRPCIO, skipWithout } from "@grpc-ts/testing";

test("interop matrix: ours, grpc-js and C-core (Python), plaintext and TLS", {
  timeout: 280_000,
  skip: skipWithout(GRPC_PROTO, PYTHON_GRPCIO),
}, async () => {
  // Imported here: the runner uses code generated from grpc-proto's files, absent when skipped.
  const { formatReport } = await import("./src/matrix/report.js");
  const { runMatrix } = await import("./src/matrix/run-matrix.js");
  const result = await runMatrix({ log: (line) => console.log(line) });
  const report = formatReport(result);
  for (const line of report) console.log(line);
  assert.ok(result.passed > 0, "no interop case passed");
  assert.equal(
    result.failed,
    0,
    `interop cases failed:\n${report.filter((l) => l.startsWith("FAIL ")).join("\n")}`,
  );
});
