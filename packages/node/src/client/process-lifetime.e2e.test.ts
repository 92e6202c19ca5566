// A channel keeps the process alive while a call waits for its connection, and no longer: a
// script that makes one call and closes its channel must neither exit before the answer (Node's
// exit code 13, "unsettled top-level await") nor hang afterwards.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { REPO_ROOT, runToEnd } from "@grpc-ts/testing";
import { createServer, defineService, type Server } from "../index.js";

const bytes = { serialize: (b: Uint8Array) => b, deserialize: (b: Uint8Array) => b };
const Ping = defineService("lifetime.Ping", { ping: { kind: "unary", request: bytes, response: bytes } });

const script = `
import { createChannel, createClient, defineService } from "@grpc-ts/node";
const bytes = { serialize: (b) => b, deserialize: (b) => b };
const Ping = defineService("lifetime.Ping", { ping: { kind: "unary", request: bytes, response: bytes } });
const channel = createChannel(process.argv[2]);
const reply = await createClient(Ping, channel).ping(new Uint8Array([7]));
console.log("reply", reply.length, reply[0]);
channel.close();
`;

let server: Server;
let port: number;
let dir: string;

before(async () => {
  server = createServer().add(Ping, { ping: (b) => b });
  port = await server.listen("127.0.0.1:0");
  // Under the repository (in the git-ignored .tmp/), so that the script resolves @grpc-ts/node.
  await mkdir(join(REPO_ROOT, ".tmp"), { recursive: true });
  dir = await mkdtemp(join(REPO_ROOT, ".tmp", "lifetime-"));
  await writeFile(join(dir, "call.mjs"), script);
});

after(async () => {
  server?.forceShutdown();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

it("a one-call script gets its answer and exits 0", { timeout: 60_000 }, async () => {
  const { code, stdout, stderr } = await runToEnd(
    process.execPath,
    ["--conditions=source", "--import", "tsx", join(dir, "call.mjs"), `127.0.0.1:${port}`],
    { cwd: REPO_ROOT },
  );
  assert.equal(code, 0, `exit code ${code}; stderr: ${stderr}`);
  assert.equal(stdout, "reply 1 7\n");
});
