import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type DeployDeps, runDeployment } from "../pipeline/run-deployment.js";
import { deployJobPayload } from "../queue/deploy-job.js";
import { waitForLane } from "../store/hold-project-lane.js";
import { RecordedFailure } from "./recorded-failure.js";

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
    },
  );
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
