// One measuring run at a time on this machine: two runs would share the two cores and spoil each
// other's figures. The lock is a file holding the owner's PID; a lock whose PID is gone is stale.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { rawDir } from "./paths.js";

const lockPath = join(rawDir, "bench.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tryTake(): number | undefined {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return undefined;
  } catch {
    const owner = Number(readFileSync(lockPath, "utf8").trim());
    if (!Number.isInteger(owner) || owner <= 0 || !alive(owner)) {
      rmSync(lockPath, { force: true });
      return tryTake();
    }
    return owner;
  }
}

/** Waits (at most `maxWaitMs`) until no other bench run or profile is measuring, then holds the lock until exit. */
export async function acquireBenchLock(maxWaitMs = 30 * 60_000): Promise<void> {
  mkdirSync(rawDir, { recursive: true });
  const until = Date.now() + maxWaitMs;
  let told = false;
  for (;;) {
    const owner = tryTake();
    if (owner === undefined) break;
    if (Date.now() > until) throw new Error(`another bench run (pid ${owner}) still holds ${lockPath}`);
    if (!told) {
      console.log(
        `bench: waiting for the run of pid ${owner} to finish (two runs at once would share the cores)`,
      );
      told = true;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  process.once("exit", () => {
    try {
      if (Number(readFileSync(lockPath, "utf8").trim()) === process.pid) rmSync(lockPath, { force: true });
    } catch {
      // gone already
    }
  });
}
