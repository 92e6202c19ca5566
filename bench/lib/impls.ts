// How each implementation's server and client child is started: the script in bench/impl and its
// arguments, or for grpc-go its built binary (grpc-go.ts).
import { join } from "node:path";
import { type ChildOptions, nodeCommand } from "./children.js";
import { GRPC_GO_ENV, type GrpcGo } from "./grpc-go.js";
import type { Impl } from "./results.js";

/** Server child options for `impl` on `cpu`, or why it cannot run here (grpc-go missing). */
export function serverChild(
  impl: Impl,
  cpu: number,
  grpcGo?: GrpcGo,
  nodeArgs?: readonly string[],
): ChildOptions | { readonly unavailable: string } {
  const extra = nodeArgs === undefined ? {} : { nodeArgs };
  switch (impl) {
    // Ours names its engine explicitly, so that GRPC_TS_HTTP2_ENGINE or a new default cannot
    // swap the two rows.
    case "ours":
      return {
        impl: "ours-server",
        name: "ours-server (node:http2)",
        cpu,
        args: ["--engine=node"],
        ...extra,
      };
    // The streaming row that differs from `ours` in the server's engine alone runs the same server.
    case "ours-engine":
    case "ours-engine-node-client":
      return {
        impl: "ours-server",
        name: "ours-server (grpc-ts engine)",
        cpu,
        args: ["--engine=grpc-ts"],
        ...extra,
      };
    case "grpc-go":
      if (grpcGo === undefined || !grpcGo.available)
        return { unavailable: grpcGo?.available === false ? grpcGo.reason : "unavailable: not built" };
      return { impl: "grpc-go-server", cpu, command: [grpcGo.binary], env: GRPC_GO_ENV };
    default:
      return { impl: `${impl}-server`, cpu, ...extra };
  }
}

/**
 * Client child options for `impl` on `cpu`, talking to 127.0.0.1:`port` (for
 * `ours-engine-node-client`, our client on node:http2). Ours on our engine asks
 * `createChannel` for `engine: "grpc-ts"`; the child itself finds out whether the built package
 * honours it (see the `probe` command), so the bench runs before and after the client engine lands.
 */
export function clientChild(impl: Impl, cpu: number, port: number, baseline?: string): ChildOptions {
  switch (impl) {
    case "ours-rr":
      return {
        impl: "ours-client",
        name: "ours-client (grpc-ts engine, round_robin)",
        cpu,
        args: [`--port=${port}`, "--engine=grpc-ts", "--lb=round_robin"],
      };
    case "ours-retry":
      return {
        impl: "ours-client",
        name: "ours-client (grpc-ts engine, retry policy)",
        cpu,
        args: [`--port=${port}`, "--engine=grpc-ts", "--retry"],
      };
    case "ours-before":
      if (baseline === undefined) throw new Error("ours-before needs --baseline=DIR");
      return {
        impl: "ours-client",
        name: `ours-client (grpc-ts engine, at ${baseline})`,
        cpu,
        // The baseline's own script, resolving the baseline's own packages.
        command: nodeCommand(join(baseline, "bench", "impl", "ours-client.ts")),
        args: [`--port=${port}`, "--engine=grpc-ts"],
      };
    case "ours":
    case "ours-engine-node-client":
      return {
        impl: "ours-client",
        name: "ours-client (node:http2)",
        cpu,
        args: [`--port=${port}`, "--engine=node"],
      };
    case "ours-engine":
      return {
        impl: "ours-client",
        name: "ours-client (grpc-ts engine)",
        cpu,
        args: [`--port=${port}`, "--engine=grpc-ts"],
      };
    case "grpc-go":
      throw new Error("the bench has no grpc-go client");
    default:
      return { impl: `${impl}-client`, cpu, args: [`--port=${port}`] };
  }
}
