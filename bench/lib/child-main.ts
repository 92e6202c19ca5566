// The child side of the line protocol (see protocol.ts). A child script creates its server or
// client, then calls `runChild` with what it can do. The child lives until the runner sends `exit`
// or closes stdin, and at most `MAX_LIFETIME_MS` in any case.
import { createInterface } from "node:readline";
import type { Command, CommandLine, CommandResult, MemoryStats, ReplyLine } from "./protocol.js";

const MAX_LIFETIME_MS = 30 * 60_000;
/** After `close`, the process must end by itself within this; else it exits with code 3. */
const EXIT_GRACE_MS = 5_000;

export interface ChildHooks {
  /** Server children print their port; client children print 0. */
  readonly port: number;
  /** Handles the commands of this child's kind; `memory` and `exit` are handled here. */
  handle?(command: Command): Promise<CommandResult>;
  /** Closes the server or channel so that the process can end by itself. */
  close(): Promise<void> | void;
}

function write(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function memoryStats(): MemoryStats {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    gc: gc !== undefined,
  };
}

export function runChild(hooks: ChildHooks): void {
  const lifetime = setTimeout(() => {
    process.stderr.write("child: lifetime bound reached, exiting\n");
    process.exit(4);
  }, MAX_LIFETIME_MS);
  lifetime.unref();

  let closing = false;
  const lines = createInterface({ input: process.stdin });

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    lines.close();
    process.stdin.destroy();
    const force = setTimeout(() => {
      process.stderr.write("child: still running after close, forcing exit\n");
      process.exit(3);
    }, EXIT_GRACE_MS);
    force.unref();
    await hooks.close();
  }

  lines.on("line", (text) => {
    const { id, command } = JSON.parse(text) as CommandLine;
    const reply = (r: ReplyLine) => write(r);
    if (command.cmd === "exit") {
      reply({ id, result: null });
      void shutdown();
      return;
    }
    if (command.cmd === "memory") {
      reply({ id, result: memoryStats() });
      return;
    }
    if (hooks.handle === undefined) {
      reply({ id, error: `this child does not handle ${command.cmd}` });
      return;
    }
    hooks.handle(command).then(
      (result) => reply({ id, result }),
      (e: unknown) => reply({ id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  lines.on("close", () => void shutdown());
  write({ type: "ready", port: hooks.port });
}
