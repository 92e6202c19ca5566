/**
 * Who takes part in the matrix and how each program is started. Every program speaks the
 * conventional interop command line (`--port`, `--use_tls`, `--server_host`, `--server_port`,
 * `--server_host_override`, `--test_case`) plus `--certs_dir`, and servers print `LISTENING <port>`.
 */
import type { Program } from "./processes.js";

export type Impl = "ours" | "grpc-js" | "c-core";

export const implLabel: Readonly<Record<Impl, string>> = {
  ours: "ours",
  "grpc-js": "grpc-js",
  "c-core": "C-core (Python grpcio)",
};

/** The repository root: programs run from here so that `--import tsx` resolves. */
export const repoRoot = new URL("../../..", import.meta.url).pathname;

/** Debian's python3-grpcio is only visible to the system Python (PEERS.md). */
export const systemPython = "/usr/bin/python3";

const tsx = (file: string): Program => ({
  command: process.execPath,
  args: ["--conditions=source", "--import", "tsx", file],
});

export const serverPrograms: Readonly<Record<Impl, Program>> = {
  ours: tsx("interop/src/server.ts"),
  "grpc-js": tsx("interop/peers/grpc-js/server.ts"),
  "c-core": { command: systemPython, args: ["interop/peers/python/interop_server.py"] },
};

export const clientPrograms: Readonly<Record<Impl, Program>> = {
  ours: tsx("interop/src/client.ts"),
  "grpc-js": tsx("interop/peers/grpc-js/client.ts"),
  "c-core": { command: systemPython, args: ["interop/peers/python/interop_client.py"] },
};

export interface Pair {
  readonly client: Impl;
  readonly server: Impl;
}

/** The matrix: our client against every server, every peer's client against our server. */
export const pairs: readonly Pair[] = [
  { client: "ours", server: "ours" },
  { client: "ours", server: "grpc-js" },
  { client: "ours", server: "c-core" },
  { client: "grpc-js", server: "ours" },
  { client: "c-core", server: "ours" },
];

export type Variant = "plaintext" | "tls";
export const variants: readonly Variant[] = ["plaintext", "tls"];
