import { spawn } from "node:child_process";
import { chmod, mkdir, open, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";
import { type SupervisorPaths, supervisorPaths } from "./supervisor-paths.js";
import { supervisordConf } from "./supervisord-conf.js";
import { writePrivateFile } from "./write-private-file.js";

// flock's exit status when another process holds the lock (chosen: supervisord itself exits 1 or 2).
const LOCK_BUSY = 75;

// supervisord's whole environment: it lives for long, and the caller's (the worker's secrets
// among it) is none of its business. Programs get only their own anyway (env -i).
const SUPERVISORD_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

/**
 * A client of the supervisord whose socket is `<dir>/supervisor.sock`, starting one when nothing
 * answers there: it writes `<dir>/supervisord.conf` and starts supervisord detached in its own
 * session, so it outlives the caller (kill -9 included). Resolves once supervisord says RUNNING.
 * Idempotent, and safe when processes race: only the holder of `<dir>/supervisord.lock` starts one.
 */
export async function ensureSupervisord(
  dir: string,
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<SupervisorClient> {
  const paths = supervisorPaths(dir);
  await prepareDirectory(paths);
  const client = new SupervisorClient(paths.socket);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await supervisordState(client);
    if (state === "RUNNING") return client;
    // Nothing answers: start one, unless another process is starting it (then wait for it).
    // Any other state (SHUTDOWN, RESTARTING) passes: wait for it to be gone or back.
    if (state === undefined) await startSupervisord(paths);
    if (Date.now() > deadline) {
      throw new Error(
        `supervisord under ${paths.dir} is not running after ${timeoutMs} ms (state: ${state ?? "no answer"}); see ${paths.log}`,
      );
    }
    await sleep(100);
  }
}

async function prepareDirectory(paths: SupervisorPaths): Promise<void> {
  for (const dir of [paths.dir, paths.programs, paths.childLogs]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  await (await open(paths.lock, "a", 0o600)).close(); // before flock makes it 0644
}

/** supervisord's own state name (RUNNING, RESTARTING, SHUTDOWN, FATAL), or undefined: no answer. */
async function supervisordState(client: SupervisorClient): Promise<string | undefined> {
  try {
    const state = await client.call("supervisor.getState", [], { timeoutMs: 5_000 });
    return typeof state === "object" && !Array.isArray(state) ? String(state.statename) : "?";
  } catch (error) {
    if (isFault(error, FAULT.SHUTDOWN_STATE)) return "SHUTDOWN";
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ECONNREFUSED") return undefined;
    throw error;
  }
}

/**
 * Starts supervisord under `flock -n`: the daemon inherits the lock's descriptor and holds it for
 * its whole life, so a second starter finds the lock taken and waits instead of starting another
 * (two would both run every program). The kernel drops the lock when supervisord dies, kill -9
 * included. Resolves once the foreground half exits: supervisord daemonized, or the lock was busy.
 */
async function startSupervisord(paths: SupervisorPaths): Promise<void> {
  await writePrivateFile(paths.conf, supervisordConf(paths), 0o600);
  const startLog = await open(paths.startLog, "w", 0o600);
  try {
    const child = spawn(
      "flock",
      ["-n", "-E", String(LOCK_BUSY), paths.lock, "supervisord", "-c", paths.conf],
      // Its own session, no pipe to us: nothing of ours can take it down when we die.
      { detached: true, stdio: ["ignore", startLog.fd, startLog.fd], env: SUPERVISORD_ENV },
    );
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code) => resolve(code));
    });
    if (status === 0 || status === LOCK_BUSY) return;
    const why = (await readFile(paths.startLog, "utf8")).trim();
    // One started outside our lock (by hand, by init) took the socket first: use that one.
    if (why.includes("Another program is already listening")) return;
    throw new Error(`supervisord did not start (exit status ${status}): ${why || "no output"}`);
  } finally {
    await startLog.close();
  }
}
