/**
 * The matrix's child processes: started with a bounded lifetime, tracked, and ended by PID
 * (SIGTERM, then SIGKILL) when they are done or the matrix stops, also when it stops by an exception.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface Program {
  readonly command: string;
  readonly args: readonly string[];
}

const running = new Set<ChildProcess>();

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

process.once("exit", () => {
  for (const child of running) killNow(child);
});

/** While children run, SIGINT/SIGTERM first end them, then end this process as the signal would. */
function onSignal(signal: NodeJS.Signals): void {
  for (const child of running) killNow(child);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.kill(process.pid, signal);
}

function start(program: Program, args: readonly string[], cwd: string): ChildProcess {
  const child = spawn(program.command, [...program.args, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
  });
  if (running.size === 0) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  running.add(child);
  child.once("exit", () => {
    running.delete(child);
    if (running.size === 0) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
  return child;
}

/** Ends a process by its PID: SIGTERM, and SIGKILL if it is still there after `graceMs`. */
export function stop(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killNow(child), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(child.pid!, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

function tail(text: string, lines = 8): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

export interface StartedServer {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts a server and waits (at most `timeoutMs`) for its `LISTENING <port>` line. */
export function startServer(
  program: Program,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<StartedServer> {
  const child = start(program, args, cwd);
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop(child, 500);
      reject(new Error(`${why}${stderr.trim() === "" ? "" : `; its stderr:\n${tail(stderr)}`}`));
    };
    const timer = setTimeout(() => fail(`no LISTENING line within ${timeoutMs / 1000} s`), timeoutMs);
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const m = /^LISTENING (\d+)$/m.exec(stdout);
      if (m !== null) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once("error", (e) => fail(`cannot start ${program.command}: ${e.message}`));
    child.once("exit", (code, signal) => fail(`exited with ${signal ?? `code ${code}`} before listening`));
  });
}

export interface ClientRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly error: Error | undefined;
}

/** Runs a client to its end, killing it after `timeoutMs`. */
export function runClient(
  program: Program,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<ClientRun> {
  const child = start(program, args, cwd);
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let error: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      void stop(child, 1000);
    }, timeoutMs);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 256 * 1024) stderr += d;
    });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ stdout, stderr: tail(stderr, 20), code, signal, timedOut, error });
    };
    child.once("error", (e) => {
      error = e;
      finish(null, null);
    });
    child.once("close", finish);
  });
}
