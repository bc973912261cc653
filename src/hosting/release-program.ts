import { readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "../exec/run-command.js";
import { defineProgram } from "../supervision/define-program.js";
import type { ProgramSpec } from "../supervision/program-spec.js";
import { programState } from "../supervision/program-state.js";
import { removeProgram } from "../supervision/remove-program.js";
import { writePrivateFile } from "../supervision/write-private-file.js";
import { lastExitOf, type ProcessExit } from "./last-exit.js";
import type { ReleaseHost } from "./release-host.js";

/** supervisord's name for a deployment's release: its files are named after it too. */
export function releaseProgramName(deploymentId: string): string {
  return `release-${deploymentId}`;
}

/** How supervisord keeps a release running (RELEASE_START_SECONDS, RELEASE_START_RETRIES). */
export type RestartPolicy = { startSecs: number; startRetries: number };

export type StartedRelease = {
  program: string;
  /** Its first process; null when that died before supervisord reported its pid. */
  pid: number | null;
  /** Resolves when this first process is gone: it exited, or supervisord is restarting it. */
  exited: Promise<ProcessExit>;
  /** Stops watching for `exited` (the release is healthy, or being stopped). */
  stopWatching(): void;
};

const LOG_MAX_BYTES = 10 * 1024 * 1024;
const LOG_BACKUPS = 2;
const STOP_WAIT_SECS = 10;
const PID_WAIT_MS = 30_000;
const POLL_MS = 100;

/**
 * Makes the release a supervisord program (its sandboxed command, restarted with backoff when
 * it dies, its output in `logFile` with rotation) and resolves once it has a process. The spec
 * is also kept beside the log (`<logFile>.program.json`, 0600: it holds the app's secrets), so
 * reconciliation can define the program again should supervisord lose it.
 */
export async function startReleaseProgram(
  host: ReleaseHost,
  release: { deploymentId: string; command: Command; logFile: string; policy: RestartPolicy },
): Promise<StartedRelease> {
  const spec: ProgramSpec = {
    name: releaseProgramName(release.deploymentId),
    command: {
      // A plain command (SANDBOX=off) is `sh -c …`; supervisord needs the program's full path.
      file: release.command.file === "sh" ? "/bin/sh" : release.command.file,
      args: [...release.command.args],
      cwd: release.command.cwd,
      env: release.command.env,
    },
    logFile: release.logFile,
    logMaxBytes: LOG_MAX_BYTES,
    logBackups: LOG_BACKUPS,
    startSecs: release.policy.startSecs,
    startRetries: release.policy.startRetries,
    stopWaitSecs: STOP_WAIT_SECS,
  };
  await writePrivateFile(specFile(release.logFile), JSON.stringify(spec), 0o600);
  await defineProgram(host.supervisor, host.supervisorDir, spec);
  const pid = await programPid(host, spec.name);
  let watching = true;
  const exited = (async (): Promise<ProcessExit> => {
    if (pid === null) return lastExitOf(host, spec.name);
    for (;;) {
      if (!watching) return new Promise<ProcessExit>(() => {});
      const state = await programState(host.supervisor, spec.name);
      if (!state || state.pid !== pid || !["STARTING", "RUNNING"].includes(state.state))
        return lastExitOf(host, spec.name);
      await sleep(POLL_MS);
    }
  })();
  return {
    program: spec.name,
    pid,
    exited,
    stopWatching: () => {
      watching = false;
    },
  };
}

/**
 * The first process supervisord starts for the program, or null when it died before its pid
 * was seen; throws when supervisord cannot start it at all (spawn error) or takes too long.
 */
export async function programPid(host: ReleaseHost, name: string): Promise<number | null> {
  const deadline = Date.now() + PID_WAIT_MS;
  for (;;) {
    const state = await programState(host.supervisor, name);
    if (state?.pid) return state.pid;
    if (state?.spawnErr)
      throw new Error(`supervisord could not start the release: ${state.spawnErr}`);
    if (state && ["FATAL", "BACKOFF", "EXITED"].includes(state.state)) return null;
    if (Date.now() > deadline)
      throw new Error(`supervisord did not start ${name} within ${PID_WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * Stops a release's program (SIGTERM to its process group, SIGKILL after 10 s) and removes its
 * definition; its log stays. Harmless when it is already gone.
 */
export async function stopReleaseProgram(
  host: ReleaseHost,
  program: string,
  logFile: string | null,
): Promise<void> {
  await removeProgram(host.supervisor, host.supervisorDir, program);
  if (logFile) await rm(specFile(logFile), { force: true });
}

/** The program spec kept beside a release's log, or null when there is none (or it is unreadable). */
export async function savedReleaseSpec(logFile: string): Promise<ProgramSpec | null> {
  try {
    return JSON.parse(await readFile(specFile(logFile), "utf8")) as ProgramSpec;
  } catch {
    return null;
  }
}

function specFile(logFile: string): string {
  return `${logFile}.program.json`;
}
