import { open, readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Runs `fn` holding `lockFile` (created exclusively, holding our pid), waiting up to `timeoutMs`
 * for another holder; a lock whose process is gone is taken over. Two Caddys started on one
 * directory at once would fight over its admin socket (each unlinks the socket file it finds),
 * leaving one running with no way to reach it.
 */
export async function withStartLock<T>(
  lockFile: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number((await readFile(lockFile, "utf8").catch(() => "")).trim());
      // Not yet written (a holder between open and write) counts as alive for a moment.
      if (holder && !alive(holder)) await rm(lockFile, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`${lockFile} is held by process ${holder || "?"} for over ${timeoutMs} ms`);
      else await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
