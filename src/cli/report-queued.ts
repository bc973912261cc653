import { getDeploymentRecord } from "../store/deployment-record.js";
import { type FollowDeps, followDeployment } from "./follow-deployment.js";
import { formatDeployment } from "./print-deployment.js";

/**
 * The end of a command that queued a deployment (retry, rollback): without --wait, the result
 * as JSON when asked; with it, the deploy followed on `progress` and its final record printed
 * (the result and its status as JSON). Resolves with the exit code: 1 when the deploy failed.
 */
export async function reportQueued(
  deps: FollowDeps,
  result: { deploymentId: string },
  options: { wait?: boolean; json?: boolean },
  io: { out: NodeJS.WritableStream; progress: NodeJS.WritableStream },
): Promise<number> {
  if (!options.wait) {
    if (options.json) io.out.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  await followDeployment(deps, result.deploymentId, io.progress);
  const final = (await getDeploymentRecord(deps.db, result.deploymentId))!;
  io.out.write(
    options.json
      ? `${JSON.stringify({ ...result, status: final.status })}\n`
      : `${formatDeployment(final)}\n`,
  );
  return final.status === "succeeded" ? 0 : 1;
}
