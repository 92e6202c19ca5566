// A real peer: gRPC C-core through Python grpcio (Debian python3-grpcio, python3-grpc-tools,
// grpc-proto), with code generated at test time from the standard health.proto, checks and
// watches the health service of a grpc-ts server.
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, it } from "node:test";
import { promisify } from "node:util";
import { createServer, type Server } from "@grpc-ts/node";
import { GRPC_PROTO, PYTHON_GRPCIO, skipWithout } from "@grpc-ts/testing";
import { addHealth } from "./add-health.js";
import type { HealthReporter } from "./health.js";

const run = promisify(execFile);
// The default python3 on the PATH may be another Python that does not see Debian's packages.
const python = "/usr/bin/python3";
const healthProtoDir = "/usr/share/grpc-proto/grpc/health/v1";
const install = "apt-get install -y python3-grpcio python3-grpc-tools grpc-proto";

const client = `
import sys
import grpc
import health_pb2
import health_pb2_grpc

Status = health_pb2.HealthCheckResponse.ServingStatus
channel = grpc.insecure_channel(sys.argv[1])
stub = health_pb2_grpc.HealthStub(channel)

for service in ["", "acme.Shop"]:
    reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    print("check", repr(service), Status.Name(reply.status), flush=True)
try:
    stub.Check(health_pb2.HealthCheckRequest(service="no.Such"), timeout=10)
    print("check 'no.Such' answered", flush=True)
except grpc.RpcError as e:
    print("check 'no.Such'", e.code().name, flush=True)

try:
    for reply in stub.Watch(health_pb2.HealthCheckRequest(service="acme.Shop"), timeout=30):
        print("watch", Status.Name(reply.status), flush=True)
    print("watch ended OK", flush=True)
except grpc.RpcError as e:
    print("watch ended", e.code().name, flush=True)
channel.close()
`;

let tmp: string;
let server: Server;
let health: HealthReporter;
let port: number;

const skip = skipWithout(PYTHON_GRPCIO, GRPC_PROTO);

before(async () => {
  if (skip) return;
  assert.ok(existsSync(python), `${python} is missing (${install})`);
  assert.ok(
    existsSync(join(healthProtoDir, "health.proto")),
    `${healthProtoDir}/health.proto is missing (${install})`,
  );
  tmp = await mkdtemp(join(tmpdir(), "grpc-ts-health-python-"));
  // Generated as top-level modules (health_pb2), so they do not collide with the grpc package.
  await run(
    python,
    [
      "-m",
      "grpc_tools.protoc",
      `-I${healthProtoDir}`,
      `--python_out=${tmp}`,
      `--grpc_python_out=${tmp}`,
      "health.proto",
    ],
    { timeout: 60_000 },
  );
  await writeFile(join(tmp, "client.py"), client);
  server = createServer();
  health = addHealth(server, { statuses: { "": "SERVING", "acme.Shop": "SERVING" } });
  port = await server.listen("127.0.0.1:0");
});

after(async () => {
  server?.forceShutdown();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

it("a Python grpcio client checks, and watches until the server shuts down", {
  timeout: 60_000,
  skip,
}, async () => {
  const child: ChildProcessWithoutNullStreams = spawn(python, [join(tmp, "client.py"), `127.0.0.1:${port}`], {
    cwd: tmp,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
  const lines: string[] = [];
  let watchLines = 0;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      if (!line.startsWith("watch ")) continue;
      watchLines++;
      // Drive the status as the watcher reports what it saw.
      if (watchLines === 1) health.setStatus("acme.Shop", "NOT_SERVING");
      else if (watchLines === 2) health.setStatus("acme.Shop", "SERVING");
      else if (watchLines === 3) void server.shutdown(60_000);
    }
    assert.equal(await exited, 0, stderr);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }
  assert.deepEqual(lines, [
    "check '' SERVING",
    "check 'acme.Shop' SERVING",
    "check 'no.Such' NOT_FOUND",
    "watch SERVING",
    "watch NOT_SERVING",
    "watch SERVING",
    "watch NOT_SERVING",
    "watch ended UNAVAILABLE",
  ]);
});
