import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import { type DeployDeps, runDeployment } from "../src/pipeline/run-deployment.js";
import { deployJobPayload } from "../src/queue/deploy-job.js";

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
  const run = await runDeployment(deps, payload.data.deploymentId, signal);
  if (run === "handed-back") {
    await job.moveToWait(token);
    throw new WaitingError();
  }
  return run;
}
