// grpc-go as a peer: our own small Go server (impl/grpc-go/main.go) built at bench time against
// Debian's grpc-go in GOPATH mode, offline. The protobuf and gRPC code comes from protoc with
// protoc-gen-go and protoc-gen-go-grpc, generated into a temporary GOPATH; the binary is cached
// under bench/.cache/grpc-go/<hash of everything that goes into it>/ (gitignored). When Go or a
// package is missing, grpc-go is reported unavailable with the apt command, and the rest runs.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchDir, protoPath } from "./paths.js";

export const GRPC_GO_APT =
  "apt-get install -y golang-go golang-google-grpc-dev golang-goprotobuf-dev protoc-gen-go-grpc protobuf-compiler";

/** Debian's Go sources (GOPATH layout). */
const GOCODE = "/usr/share/gocode";
const GRPC_SRC = join(GOCODE, "src/google.golang.org/grpc");
const GOPROTOBUF_SRC = join(GOCODE, "src/github.com/golang/protobuf/proto");
/** The Go import path of the generated package; its last element is the proto package's Go name. */
const GEN_PACKAGE = "grpcts.local/grpcts_bench";
const MAIN_PACKAGE = "grpcts.local/benchserver";
const mainSource = join(benchDir, "impl/grpc-go/main.go");
const cacheDir = join(benchDir, ".cache");

export type GrpcGo =
  | {
      readonly available: true;
      /** The server binary. */
      readonly binary: string;
      /** e.g. `grpc-go 1.33.3 (Debian), go1.19.8`. */
      readonly version: string;
      /** Whether this call built it (false: found in the cache). */
      readonly built: boolean;
    }
  | { readonly available: false; readonly reason: string };

function output(command: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return undefined;
  }
}

/** Where `command` is on the PATH, or undefined. */
function which(command: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The grpc-go version of Debian's sources (version.go), or undefined. */
export function grpcGoVersion(): string | undefined {
  try {
    return /Version = "([^"]+)"/.exec(readFileSync(join(GRPC_SRC, "version.go"), "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

let prepared: GrpcGo | undefined;

/** Finds or builds the grpc-go server binary (once per process). */
export function prepareGrpcGo(): GrpcGo {
  prepared ??= prepare();
  return prepared;
}

function prepare(): GrpcGo {
  const unavailable = (what: string): GrpcGo => ({
    available: false,
    reason: `unavailable: ${what}; install with \`${GRPC_GO_APT}\``,
  });
  const go = output("go", ["version"]);
  if (go === undefined) return unavailable("`go` is missing");
  const tools: string[] = [];
  for (const tool of ["protoc", "protoc-gen-go", "protoc-gen-go-grpc"]) {
    const path = which(tool);
    if (path === undefined) return unavailable(`\`${tool}\` is missing`);
    tools.push(path);
  }
  const grpcVersion = grpcGoVersion();
  if (grpcVersion === undefined) return unavailable(`grpc-go is not in ${GRPC_SRC}`);
  if (!existsSync(GOPROTOBUF_SRC)) return unavailable(`github.com/golang/protobuf is not in ${GOCODE}`);
  const goVersion = /go version (\S+)/.exec(go)?.[1] ?? go;
  const version = `grpc-go ${grpcVersion} (Debian), ${goVersion}`;

  const hash = createHash("sha256");
  for (const part of [
    readFileSync(mainSource),
    readFileSync(protoPath),
    go,
    grpcVersion,
    // The code generators themselves (protoc-gen-go 1.3 has no --version).
    ...tools.map((path) => readFileSync(path)),
  ]) {
    hash.update(part).update("\0");
  }
  const dir = join(cacheDir, "grpc-go", hash.digest("hex").slice(0, 16));
  const binary = join(dir, "bench-server");
  if (existsSync(binary)) return { available: true, binary, version, built: false };

  const gopath = mkdtempSync(join(tmpdir(), "grpc-ts-bench-go-"));
  try {
    const genDir = join(gopath, "src", GEN_PACKAGE);
    const mainDir = join(gopath, "src", MAIN_PACKAGE);
    mkdirSync(genDir, { recursive: true });
    mkdirSync(mainDir, { recursive: true });
    const mapping = `Mbench.proto=${GEN_PACKAGE},paths=source_relative`;
    const protoc = spawnSync(
      "protoc",
      [
        "-I",
        join(protoPath, ".."),
        `--go_out=${mapping}:${genDir}`,
        `--go-grpc_out=${mapping}:${genDir}`,
        "bench.proto",
      ],
      { encoding: "utf8" },
    );
    if (protoc.status !== 0)
      return { available: false, reason: `unavailable: protoc failed: ${protoc.stderr}` };
    copyFileSync(mainSource, join(mainDir, "main.go"));
    mkdirSync(dir, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    const build = spawnSync("go", ["build", "-o", partial, MAIN_PACKAGE], {
      encoding: "utf8",
      cwd: gopath,
      timeout: 300_000,
      env: {
        ...process.env,
        GO111MODULE: "off",
        GOPATH: `${gopath}:${GOCODE}`,
        GOPROXY: "off",
        GOFLAGS: "",
        GOCACHE: join(cacheDir, "go-build"),
      },
    });
    if (build.status !== 0) {
      rmSync(partial, { force: true });
      return {
        available: false,
        reason: `unavailable: go build failed (${build.error?.message ?? `exit ${build.status}`}): ${build.stderr.trim().slice(-2000)}`,
      };
    }
    renameSync(partial, binary);
    return { available: true, binary, version, built: true };
  } finally {
    rmSync(gopath, { recursive: true, force: true });
  }
}

/** How the runner starts the grpc-go server: one OS thread for Go code, like Node's one core. */
export const GRPC_GO_ENV: Readonly<Record<string, string>> = { GOMAXPROCS: "1" };
