// Starting and killing a child-process server (child-echo-server.ts), and the path of the one-call
// client script (child-wait-for-ready.ts) for lifetime tests.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const script = fileURLToPath(new URL("./child-echo-server.ts", import.meta.url));

/**
 * The one-call client script (`node --conditions=source --import tsx CHILD_WAIT_FOR_READY TARGET`):
 * a waitForReady unary call, "reply <message>" on stdout, then it must exit by itself.
 */
export const CHILD_WAIT_FOR_READY = fileURLToPath(new URL("./child-wait-for-ready.ts", import.meta.url));
/** The repository's root, the working directory for child processes run from TypeScript sources. */
export const REPO_ROOT = root;

export interface ChildServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** SIGKILL by pid (only this child); resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Spawns the Echo server in a child process on 127.0.0.1:PORT (0: any) and waits for it to listen;
 * `flowControlWindow` is passed to its `createServer`.
 */
export async function startChildServer(
  port = 0,
  timeoutMs = 20_000,
  flowControlWindow?: number,
): Promise<ChildServer> {
  const args = [
    script,
    String(port),
    ...(flowControlWindow === undefined ? [] : [String(flowControlWindow)]),
  ];
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGKILL");
    }
    await exited;
  };
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  try {
    const listening = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`child server not listening after ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /LISTENING (\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`child server exited (${code ?? signal}) before listening: ${stderr}`));
      });
    });
    return { child, pid: child.pid!, port: listening, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}
