import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { SupervisorClient } from "../../src/supervision/supervisor-client.js";
import { waitFor } from "../helpers/wait-for.js";

/** Whether a supervisord answers on the client's socket. */
export async function answers(client: SupervisorClient): Promise<boolean> {
  try {
    await client.call("supervisor.getState");
    return true;
  } catch {
    return false;
  }
}

/**
 * Shuts the supervisord down (its programs stopped as groups), waits until its pid is gone, and
 * removes its directory: each test file's supervisord lives in its own temporary directory.
 */
export async function shutDown(client: SupervisorClient, dir: string): Promise<void> {
  if (await answers(client)) {
    const pid = (await client.call("supervisor.getPID")) as number;
    await client.call("supervisor.shutdown");
    await waitFor("supervisord to exit", () => !isAlive(pid), 30_000);
  }
  if (process.env.KEEP_TEST_DIRS !== "1") await rm(dir, { recursive: true, force: true });
}

/** Whether process `pid` runs: it exists and is not a zombie waiting for its parent to reap it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
