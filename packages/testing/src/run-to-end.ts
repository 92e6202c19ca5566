// Runs a program to its end for a test: no shell, stdin written and closed, stdout and stderr
// collected, and the process killed (SIGKILL, by its own pid) if it outlives the bound.
import { spawn } from "node:child_process";

export interface RunResult {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** Written to stdin, then stdin is closed (default: closed at once). */
  readonly stdin?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long (default 30 s). */
  readonly timeoutMs?: number;
}

/** Resolves when the process has exited; rejects only when it cannot be started. */
export function runToEnd(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(
      () => child.pid !== undefined && process.kill(child.pid, "SIGKILL"),
      options.timeoutMs ?? 30_000,
    );
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
  });
}

/** A program's output without its ANSI colour codes (ESC [ n m). */
export function stripAnsi(text: string): string {
  return text
    .split("\u001b[")
    .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, "")))
    .join("");
}
