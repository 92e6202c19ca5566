// Headless Chromium for the browser tests (PEERS.md): Debian's /usr/bin/chromium started by us
// with a fresh profile and the DevTools protocol on a loopback port, driven with playwright-core
// over CDP, and stopped by its process id (its whole process group) at the end.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const flags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface BrowserHandle {
  readonly browser: Browser;
  readonly pid: number;
  /** Closes the browser, kills its process group, and deletes the profile. */
  close(): Promise<void>;
}

/** Starts Chromium; fails with a clear message when it is not installed. */
export async function launchChromium(extraFlags: readonly string[] = []): Promise<BrowserHandle> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `the browser tests need headless Chromium at ${CHROMIUM_PATH}, which is missing: ` +
        "install it with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH",
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "grpc-ts-chromium-"));
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...flags,
      ...extraFlags,
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  const pid = child.pid;
  const stop = async () => {
    await killGroup(child);
    await rm(profile, { recursive: true, force: true });
  };
  if (pid === undefined) {
    await stop();
    throw new Error(`could not start ${CHROMIUM_PATH}`);
  }
  try {
    const ws = await devToolsUrl(child, 30_000);
    const browser = await chromium.connectOverCDP(ws, { timeout: 30_000 });
    return {
      browser,
      pid,
      async close() {
        await browser.close().catch(() => {});
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Reads `DevTools listening on ws://...` from Chromium's stderr. */
function devToolsUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(
      () => done(new Error(`Chromium did not start within ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      err += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m !== null) done(undefined, m[1]);
      else if (err.length > 64_000) err = err.slice(-8000);
    };
    const onExit = (code: number | null) => done(new Error(`Chromium exited (code ${code}): ${err}`));
    const done = (e: Error | undefined, url?: string) => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keep draining stderr so that Chromium never blocks on a full pipe.
      child.stderr?.resume();
      if (e !== undefined) reject(e);
      else resolve(url!);
    };
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM to the process group Chromium leads, then SIGKILL if it is still there after 5 s. */
async function killGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 5000);
    }),
  ]);
  clearTimeout(timer);
  if (!killed) {
    signal("SIGKILL");
    await exited;
  }
}
