// Starting child processes pinned to a core (taskset), and talking to them (protocol.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { track } from "./cleanup.js";
import { implScript, rootDir } from "./paths.js";
import type { Command, CommandResult, ReadyLine, ReplyLine } from "./protocol.js";

export interface ChildOptions {
  /** Name of the script in bench/impl, e.g. `ours-server` (or the name of a `command`). */
  readonly impl: string;
  /** Name in messages and warnings (default `impl`). */
  readonly name?: string;
  /**
   * A program to run instead of a node script (e.g. the grpc-go server binary). It must speak the
   * same line protocol (protocol.ts); `nodeArgs` do not apply.
   */
  readonly command?: readonly string[];
  /** Extra environment variables (e.g. GOMAXPROCS). */
  readonly env?: Readonly<Record<string, string>>;
  /** The core to pin it to. */
  readonly cpu: number;
  readonly args?: readonly string[];
  /** Extra flags for node, e.g. `--expose-gc`, `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when the child ended by itself after `exit` (code 0) within the bound. */
  readonly clean: boolean;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  request(command: Command, timeoutMs: number): Promise<CommandResult>;
  /** Asks the child to close and waits for it to end; kills it by PID after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
}

let fromSource = false;

/**
 * Children load our packages from their TypeScript sources (`--conditions=source`) instead of the
 * built dist/. Only for quick iteration: tsx transforms with esbuild's keepNames, which adds
 * `__name()` calls to our code (and not to the peers', which are plain JavaScript).
 */
export function useSources(yes: boolean): void {
  fromSource = yes;
}

/**
 * The node command line of a child: the bench script itself through tsx; our packages from their
 * dist/ (built JavaScript, as users get them) unless `useSources(true)`.
 */
export function nodeCommand(script: string, nodeArgs: readonly string[] = []): string[] {
  return [
    process.execPath,
    ...(fromSource ? ["--conditions=source"] : []),
    "--import",
    "tsx",
    ...nodeArgs,
    script,
  ];
}

/** Spawns `command` under `taskset -c cpu`, registered for cleanup. */
export function spawnPinned(
  name: string,
  cpu: number,
  command: readonly string[],
  stdio: "pipe" | "ignore" = "pipe",
  env?: Readonly<Record<string, string>>,
): ChildProcess {
  // taskset execs the command: the PID is the command's own (for /proc/PID/stat).
  const proc = spawn("taskset", ["-c", String(cpu), ...command], {
    cwd: rootDir,
    stdio: stdio === "pipe" ? ["pipe", "pipe", "pipe"] : ["ignore", "ignore", "ignore"],
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  });
  track(proc, name);
  return proc;
}

export function startChild(options: ChildOptions): Promise<Child> {
  const name = options.name ?? options.impl;
  const proc = spawnPinned(
    name,
    options.cpu,
    [
      ...(options.command ?? nodeCommand(implScript(options.impl), options.nodeArgs)),
      ...(options.args ?? []),
    ],
    "pipe",
    options.env,
  );
  const pid = proc.pid;
  if (pid === undefined) return Promise.reject(new Error(`${name}: could not start`));
  const pending = new Map<number, { resolve: (r: CommandResult) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      for (const p of pending.values()) p.reject(new Error(`${name} exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  createInterface({ input: proc.stderr! }).on("line", (l) => process.stderr.write(`[${name}] ${l}\n`));

  return new Promise<Child>((resolve, reject) => {
    const readyTimer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${name}: not ready within ${options.readyTimeoutMs ?? 30_000} ms`));
    }, options.readyTimeoutMs ?? 30_000);
    void exited.then(() => {
      clearTimeout(readyTimer);
      reject(new Error(`${name} exited before it was ready (${exitInfo?.code ?? exitInfo?.signal})`));
    });
    let port: number | undefined;
    let stopping: Promise<ExitInfo> | undefined;
    const child: Child = {
      name,
      pid,
      get port() {
        return port ?? 0;
      },
      request(command, timeoutMs) {
        const id = nextId++;
        return new Promise<CommandResult>((res, rej) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            rej(new Error(`${name}: no answer to ${command.cmd} within ${timeoutMs} ms`));
          }, timeoutMs);
          pending.set(id, {
            resolve: (r) => {
              clearTimeout(timer);
              res(r);
            },
            reject: (e) => {
              clearTimeout(timer);
              rej(e);
            },
          });
          proc.stdin!.write(`${JSON.stringify({ id, command })}\n`);
        });
      },
      stop(timeoutMs = 10_000) {
        stopping ??= (async () => {
          if (exitInfo === undefined) {
            proc.stdin!.end(`${JSON.stringify({ id: 0, command: { cmd: "exit" } })}\n`);
            const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
            await exited;
            clearTimeout(timer);
          }
          const info = exitInfo!;
          return { ...info, clean: info.code === 0 && info.signal === null };
        })();
        return stopping;
      },
    };
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      let msg: ReadyLine | ReplyLine;
      try {
        msg = JSON.parse(line) as ReadyLine | ReplyLine;
      } catch {
        process.stderr.write(`[${name} stdout] ${line}\n`);
        return;
      }
      if ("type" in msg) {
        clearTimeout(readyTimer);
        port = msg.port;
        resolve(child);
        return;
      }
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(`${name}: ${msg.error}`));
      else p.resolve(msg.result ?? null);
    });
  });
}

/** Stops a child and notes it when it did not end by itself after `exit`. */
export async function stopChecked(child: Child, results: { note(text: string): void }): Promise<void> {
  const exit = await child.stop();
  if (!exit.clean) {
    results.note(`${child.name} did not exit cleanly (code ${exit.code}, signal ${exit.signal})`);
  }
}
