import { setTimeout as sleep } from "node:timers/promises";

/** Whether a process (group leader) is still running; a zombie counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return true;
}

/**
 * Stops a process group: SIGTERM, then SIGKILL after the grace period. Resolves once the
 * leader is gone (or was already).
 */
export async function stopProcessGroup(
  pid: number,
  graceMs: number,
): Promise<"stopped" | "killed" | "gone"> {
  if (!signal(pid, "SIGTERM")) return "gone";
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) {
      signal(pid, "SIGKILL"); // whatever it left in its group
      return "stopped";
    }
    await sleep(50);
  }
  signal(pid, "SIGKILL");
  return "killed";
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, name);
    return true;
  } catch {
    return false;
  }
}
