import { type CallOptions, type Channel, RpcError } from "@grpc-ts/node";
import type { RemoteCommand } from "../remote-args.js";
import type { CliIo } from "../run-cli.js";
import { type CallContext, call } from "./call.js";
import { openChannel, requestMetadata } from "./connect.js";
import { describe } from "./describe.js";
import { type DescriptorSource, openDescriptorSource } from "./descriptors.js";
import { CliFailure, EXIT_FAILURE, exitCodeForStatus } from "./failure.js";
import { list } from "./list.js";
import { createOutput, printStatus } from "./output.js";

/**
 * Runs list, describe or call, and resolves to the exit code: 0 success; 1 not found or
 * descriptors not loaded; 2 usage error; 64 + the status code when an RPC (the call, or the
 * reflection query before it) fails.
 */
export async function runRemote(command: RemoteCommand, io: CliIo): Promise<number> {
  const output = createOutput(io, command.connection.json);
  const context: CallContext = { registry: undefined };
  let channel: Channel | undefined;
  let source: DescriptorSource | undefined;
  try {
    const args = command.connection;
    const metadata = requestMetadata(args);
    const callOptions: CallOptions = {
      metadata,
      ...(args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs }),
    };
    channel = await openChannel(args, io.cwd);
    source = await openDescriptorSource(args, channel, callOptions, io.cwd);
    switch (command.kind) {
      case "list":
        return await list(command, source, output);
      case "describe":
        return await describe(command, source, output);
      case "call":
        return await call(command, channel, source, callOptions, io, output, context);
      default:
        return EXIT_FAILURE;
    }
  } catch (e) {
    if (e instanceof RpcError) {
      printStatus(output, e, context.registry);
      return exitCodeForStatus(e.code);
    }
    const s = output.err;
    if (e instanceof CliFailure) {
      if (e.detail !== "") io.stderr(e.detail);
      output.errorLine(`${s.red(`grpc-ts ${command.kind}:`)} ${e.message}`);
      return e.exitCode;
    }
    output.errorLine(`${s.red(`grpc-ts ${command.kind}:`)} ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILURE;
  } finally {
    source?.close();
    channel?.close();
  }
}
