import { DelayedError, type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type DeployDeps, runDeployment } from "../pipeline/run-deployment.js";
import { deployJobPayload } from "../queue/deploy-job.js";
import { type ElsewherePlace, noteOnce } from "../store/deployment-host.js";
import { waitForLane } from "../store/hold-project-lane.js";
import { forwardToProjectHost } from "./forward-deployment.js";
import { RecordedFailure } from "./recorded-failure.js";

/** How often a deploy waiting for its project's move looks again (the move takes minutes). */
const MOVE_RECHECK_MS = 2_000;

/** The `deploy` job: runs one recorded deployment through the pipeline. */
export async function processDeploy(
  deps: DeployDeps,
  job: Job,
  token: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const payload = deployJobPayload.safeParse(job.data);
  if (!payload.success) {
    throw new UnrecoverableError(`invalid deploy job payload: ${payload.error.message}`);
  }
  const maxAttempts = job.opts.attempts ?? 1;
  const canRetry = job.attemptsMade + 1 < maxAttempts;
  let busyProject = "";
  const seen: { elsewhere?: ElsewherePlace } = {};
  const run = await runDeployment(
    { ...deps, onStepChange: (change) => publishStepChange(deps, job, change) },
    payload.data.deploymentId,
    signal,
    {
      canRetry,
      maxAttempts,
      onBusy: (projectId) => {
        busyProject = projectId;
      },
      onElsewhere: (place) => {
        seen.elsewhere = place;
      },
    },
  );
  const place = seen.elsewhere;
  if (place?.kind === "wrong-host")
    // Never run elsewhere: this host administers only its own cluster and directories.
    throw new UnrecoverableError(
      `refused: job ${job.id} (${job.name}) belongs to host ${place.hostId}, not this host ${deps.config.host.id}`,
    );
  if (place?.kind === "move-running" || place?.kind === "source-frozen") {
    // Run now, on the source, it would be replaced by the move's switch (the target deploys the
    // live commit it read before): it runs once the move has ended, where the project lives.
    // After a failed move, once the source takes writes again (its unfreeze job has run).
    await noteOnce(
      deps.db,
      payload.data.deploymentId,
      place.kind === "move-running"
        ? `queued during the move of ${place.project} to ${place.to}: it waited for the move to end`
        : `held after a failed move of ${place.project}: waiting for the source database of ${place.project} to be made writable again`,
    );
    await job.moveToDelayed(Date.now() + MOVE_RECHECK_MS, token);
    throw new DelayedError();
  }
  if (place?.kind === "moved-away") {
    const forwarded = await forwardToProjectHost(
      deps,
      payload.data.deploymentId,
      place.from,
      place.to,
    );
    deps.logger.info(
      { deploymentId: payload.data.deploymentId, from: place.from, to: place.to, forwarded },
      "deploy forwarded to the host its project lives on",
    );
    return forwarded ? "forwarded" : "already-ended";
  }
  if (run === "handed-back") {
    await job.moveToWait(token);
    throw new WaitingError();
  }
  // Another deploy of the project is running: this one starts once it ends.
  if (run === "busy") await waitForLane(job, token, busyProject);
  if (run === "retry")
    throw new Error("the deploy failed for a reason a retry can fix; BullMQ retries it");
  // The failure is recorded on the deployment; retrying cannot change it.
  if (run === "failed") throw new RecordedFailure("deployment");
  return run;
}

/**
 * A step's change as the job's progress: BullMQ adds it to the queue's event stream, where
 * `deploy --wait` hears it (queue/deploy-events.ts) and reads the record again. Not awaited,
 * so the next step never waits on Redis; a lost event only delays a follower until its poll.
 */
function publishStepChange(
  deps: DeployDeps,
  job: Job,
  change: { step: string; status: string },
): void {
  job.updateProgress(change).catch((error: unknown) => {
    deps.logger.debug({ jobId: job.id, err: error }, "could not publish a step change");
  });
}
