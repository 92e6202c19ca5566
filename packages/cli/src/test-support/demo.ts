// A server for the CLI tests: the Demo service built at test time from proto/ (with buf), and the
// processes of the CLI run from its TypeScript sources.
import { execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createFileRegistry, type DescService, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  createServer,
  type HandlerContext,
  RpcError,
  type Server,
  type ServerTlsOptions,
  type ServiceImpl,
} from "@grpc-ts/node";
import { addHealth, addReflection, createReflection, ServerReflectionV1alpha } from "@grpc-ts/services";
import { runToEnd } from "@grpc-ts/testing";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The folder of the test protos. */
export const demoProtoDir = fileURLToPath(new URL("./proto", import.meta.url));
/** The Demo .proto file, for `--proto`. */
export const demoProto = join(demoProtoDir, "demo", "v1", "demo.proto");
/** A proto2 file (no service), for `describe --proto`. */
export const legacyProto = join(demoProtoDir, "legacy", "v1", "legacy.proto");

const binPath = fileURLToPath(new URL("../bin.ts", import.meta.url));
const tsxLoader = import.meta.resolve("tsx");

/** Compiles the test protos with buf into a registry. */
export async function demoRegistry(): Promise<FileRegistry> {
  const manifestPath = require.resolve("@bufbuild/buf/package.json");
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  const buf = join(dirname(manifestPath), manifest.bin.buf!);
  const { stdout } = await run(process.execPath, [buf, "build", demoProtoDir, "-o", "-"], {
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, stdout));
}

export function demoService(registry: FileRegistry): DescService {
  const s = registry.getService("demo.v1.Demo");
  if (s === undefined) throw new Error("demo.v1.Demo is not in the registry");
  return s;
}

interface EchoRequestLike {
  readonly text: string;
  readonly count: number;
  readonly mood: number;
}

/** The Demo handlers. */
export function demoImpl(registry: FileRegistry): ServiceImpl<DescService> {
  const failDetail = registry.getMessage("demo.v1.FailDetail")!;
  const header = (ctx: HandlerContext): string => {
    const v = ctx.metadata.get("x-echo");
    const bin = ctx.metadata.get("x-data-bin");
    return (v === undefined ? "" : `|${v}`) + (bin === undefined ? "" : `|bin:${[...bin].join(",")}`);
  };
  const impl = {
    unary(req: EchoRequestLike, ctx: HandlerContext) {
      return { text: req.text + header(ctx), mood: req.mood };
    },
    async *serverStream(req: EchoRequestLike) {
      for (let i = 0; i < req.count; i++) yield { text: req.text, index: i };
    },
    async clientStream(reqs: AsyncIterable<EchoRequestLike>) {
      const texts: string[] = [];
      for await (const r of reqs) texts.push(r.text);
      return { text: texts.join("+"), index: texts.length };
    },
    async *bidi(reqs: AsyncIterable<EchoRequestLike>) {
      let i = 0;
      for await (const r of reqs) yield { text: r.text, index: i++ };
    },
    fail(req: { code: number; message: string }) {
      throw new RpcError(req.code as 5, req.message, {
        details: [{ desc: failDetail, value: { reason: `asked for ${req.code}` } }],
      });
    },
    async hang(_req: EchoRequestLike, ctx: HandlerContext) {
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      return {};
    },
  };
  return impl as unknown as ServiceImpl<DescService>;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly cwd?: string;
  /** Written to stdin, then stdin is closed (default: closed at once). */
  readonly stdin?: string;
  /** Extra environment variables (NO_COLOR and FORCE_COLOR are cleared unless given). */
  readonly env?: Readonly<Record<string, string>>;
}

function cliEnv(options: CliRunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined };
  for (const [k, v] of Object.entries(options.env ?? {})) env[k] = v;
  return env;
}

const cliArgs = (args: readonly string[]) => ["--conditions=source", "--import", tsxLoader, binPath, ...args];

/** Starts the CLI as a process, from its TypeScript sources. */
export function spawnCli(args: readonly string[], options: CliRunOptions = {}) {
  return spawn(process.execPath, cliArgs(args), {
    cwd: options.cwd ?? process.cwd(),
    env: cliEnv(options),
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Runs the CLI to its end (killed after 60 s) and collects what it printed. */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  return runToEnd(process.execPath, cliArgs(args), {
    cwd: options.cwd ?? process.cwd(),
    env: cliEnv(options),
    timeoutMs: 60_000,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

/** The lines of a text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
}

export interface DemoServer {
  readonly server: Server;
  /** `127.0.0.1:PORT`. */
  readonly target: string;
  close(): void;
}

export interface DemoServerOptions {
  /** Which reflection services to add (default both v1 and v1alpha). */
  readonly reflection?: "both" | "v1alpha" | "none";
  readonly tls?: ServerTlsOptions;
}

/** A loopback server with Demo, health, and reflection. */
export async function startDemoServer(
  registry: FileRegistry,
  options: DemoServerOptions = {},
): Promise<DemoServer> {
  const server = createServer().add(demoService(registry), demoImpl(registry));
  addHealth(server, { statuses: { "": "SERVING", "demo.v1.Demo": "SERVING" } });
  const reflection = options.reflection ?? "both";
  if (reflection === "both") addReflection(server);
  else if (reflection === "v1alpha") {
    server.add(
      ServerReflectionV1alpha,
      createReflection({ services: () => server.router.services() }).v1alpha,
    );
  }
  const port = await server.listen("127.0.0.1:0", options.tls === undefined ? {} : { tls: options.tls });
  return { server, target: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}
