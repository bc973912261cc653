import { coerceError } from "../errors.js";
import { processStartTicks } from "../exec/process-identity.js";
import type { Logger } from "../logger.js";
import { redactSecrets } from "../secrets/redact-secrets.js";
import type { Db } from "../store/prisma.js";
import {
  recordReleaseCrash,
  recordReleaseExit,
  recordReleaseProcess,
  recordReleaseRestart,
  type WatchedRelease,
  watchedReleases,
} from "../store/release-restarts.js";
import { programState } from "../supervision/program-state.js";
import { exitCause } from "./exit-cause.js";
import { lastExitOf } from "./last-exit.js";
import type { ReleaseHost } from "./release-host.js";
import { readLogTail } from "./release-log-tail.js";
import { supervisorStartedSince } from "./supervisor-restarted.js";

const DEFAULT_INTERVAL_MS = 2_000;
// An error report with its stack fits many times over; the log of a process that printed
// for days is not read whole.
const LOG_TAIL_BYTES = 64 * 1024;

export type ReleaseWatchDeps = {
  db: Db;
  logger: Logger;
  /** What is redacted from a release's log before its evidence is stored (releaseSecrets). */
  secretsOf: (project: WatchedRelease["project"]) => Promise<string[]>;
  /** Opened at the first look that finds a live release (openReleaseHost: once per process). */
  host: () => Promise<ReleaseHost>;
};

export type ReleaseWatch = {
  /** One look at every live release now (what each interval does). */
  checkNow(): Promise<void>;
  /** Stops looking; resolves once the look under way is done. */
  stop(): Promise<void>;
};

/**
 * Compares every live supervised release with what supervisord says of it, every `intervalMs`:
 * a new process (supervisord restarted it) is recorded as a restart, with how the previous one
 * ended and its cause read from the release's log, and the deployment shows degraded (unless
 * supervisord itself is younger than the recorded process: nothing crashed, only the new
 * process is recorded, and one supervisord could not start is left to reconciliation); a program
 * supervisord gave up on (FATAL) marks the release crashed with its cause. Every update is
 * conditional on the row as it was read, so several workers watching count each event once.
 */
export function watchReleases(
  deps: ReleaseWatchDeps,
  options: { intervalMs?: number } = {},
): ReleaseWatch {
  const logger = deps.logger.child({ watch: "releases" });
  let stopped = false;
  let looking: Promise<void> = Promise.resolve();
  const checkNow = () => {
    looking = looking.then(async () => {
      if (stopped) return;
      try {
        const releases = await watchedReleases(deps.db);
        if (releases.length === 0) return;
        const host = await deps.host();
        for (const release of releases) {
          if (stopped) return;
          await checkRelease(deps, host, logger, release).catch((error: unknown) =>
            logger.error(
              { err: coerceError(error), deploymentId: release.id },
              "could not check a live release",
            ),
          );
        }
      } catch (error) {
        logger.error({ err: coerceError(error) }, "could not read the live releases");
      }
    });
    return looking;
  };
  const timer = setInterval(checkNow, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  timer.unref();
  void checkNow();
  return {
    checkNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await looking;
    },
  };
}

async function checkRelease(
  deps: ReleaseWatchDeps,
  host: ReleaseHost,
  logger: Logger,
  release: WatchedRelease,
): Promise<void> {
  const { db } = deps;
  const howItEnded = async () => {
    const exit = await lastExitOf(host, release.program);
    const tail = release.logFile ? await readLogTail(release.logFile, LOG_TAIL_BYTES) : "";
    const secrets = await deps.secretsOf(release.project);
    return { lastExit: exit.text, cause: await exitCause(redactSecrets(tail, secrets), exit) };
  };
  const state = await programState(host.supervisor, release.program);
  // Not supervisord's (any more): starting it again is reconciliation's business, not ours.
  if (!state) return;
  const log = { deploymentId: release.id, program: release.program };
  const down = state.state === "FATAL" || state.state === "BACKOFF" || state.state === "EXITED";
  const moved = state.pid !== null && state.pid !== release.pid;
  if (!down && !moved) return;
  if (await supervisorStartedSince(host, release.startTicks)) {
    // supervisord came back since the recorded process started: nothing crashed. Its new
    // process is the release's; one it could not start (the old process, orphaned, holding the
    // port) is reconciliation's to start again, never a crash loop.
    if (moved && state.pid !== null) {
      const next = {
        previousPid: release.pid,
        pid: state.pid,
        startTicks: processStartTicks(state.pid),
      };
      if (await recordReleaseProcess(db, release.id, next))
        logger.info({ ...log, pid: state.pid }, "live release started again by a new supervisord");
    }
    return;
  }
  if (state.state === "FATAL") {
    const { lastExit, cause } = await howItEnded();
    if (await recordReleaseCrash(db, release.id, { lastExit, cause }))
      logger.error({ ...log, lastExit, ...cause }, "live release crashed: supervisord gave up");
    return;
  }
  if (moved && state.pid !== null) {
    const { lastExit, cause } = await howItEnded();
    const restart = {
      previousPid: release.pid,
      pid: state.pid,
      startTicks: processStartTicks(state.pid),
      lastExit,
      cause,
    };
    if (await recordReleaseRestart(db, release.id, restart))
      logger.warn({ ...log, pid: state.pid, lastExit, ...cause }, "live release restarted");
    return;
  }
  // Down, and supervisord about to start it again: degraded now, the restart counted once the
  // new process runs.
  if (!release.degraded) {
    const { lastExit, cause } = await howItEnded();
    if (await recordReleaseExit(db, release.id, { pid: release.pid, lastExit, cause }))
      logger.warn({ ...log, lastExit, ...cause }, "live release exited");
  }
}
