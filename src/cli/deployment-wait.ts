import type { HostQueues } from "../queue/host-queues.js";
import { frozenSourceWaitedFor, moveWaitedFor } from "../store/deployment-host.js";
import { deploymentHost } from "../store/deployments.js";
import { describeHostState, getHost } from "../store/hosts.js";
import type { SqlDb } from "../store/sql-transaction.js";

/**
 * What a queued deployment is waiting for, in a line an operator can act on: its host when that
 * host is down (its jobs run nowhere else), its project's move while one runs, the unfreeze of
 * the source a failed move left read-only, else read from
 * its job in its host's queue (its id is the deployment's); null when it is about to start.
 */
export async function deploymentWait(
  deps: { db: SqlDb; queues: HostQueues; downAfterMs: number },
  deployment: { id: string; project: string },
): Promise<string | null> {
  const hostId = await deploymentHost(deps.db, deployment.id);
  if (!hostId)
    return `waiting: ${deployment.project} has no host to run on (a project from before hosts); see coduck-worker doctor`;
  const host = await getHost(deps.db, hostId, deps.downAfterMs);
  if (!host || host.state === "down")
    return `waiting for host ${hostId}, ${host ? describeHostState(host) : "which has never registered"}: ${deployment.project}'s jobs run only there, and start when its worker is back`;
  // Its job looks again every couple of seconds, and is forwarded to the target if the move ends
  // there (jobs/deploy.ts).
  const move = await moveWaitedFor(deps.db, deployment.id);
  if (move)
    return `waiting for the move of ${deployment.project} to ${move.toHostId} to end (move ${move.moveId}): it then deploys where ${deployment.project} lives`;
  const frozen = await frozenSourceWaitedFor(deps.db, deployment.id);
  if (frozen)
    return `waiting for the source database of ${deployment.project} to be made writable again: move ${frozen.moveId} failed, and its unfreeze on host ${frozen.fromHostId} has not ended yet (coduck-worker projects show ${deployment.project})`;
  const queue = deps.queues.deploy(hostId);
  const state = await queue.getJobState(deployment.id);
  switch (state) {
    case "waiting":
    case "prioritized": {
      const workers = await queue.getWorkersCount().catch(() => null);
      if (workers === 0)
        return `waiting: no worker is running on host ${hostId} to take it (coduck-worker start there)`;
      return `waiting for a free worker on host ${hostId}: ${workers ?? "every"} worker${workers === 1 ? " is" : "s are"} busy with other deploys`;
    }
    case "delayed": {
      const job = await queue.getJob(deployment.id);
      if (job && job.attemptsMade > 0) {
        const at = new Date(job.timestamp + job.delay).toISOString().slice(11, 19);
        return `waiting: attempt ${job.attemptsMade} failed for a passing reason; it runs again at ${at} UTC`;
      }
      return `waiting: another deploy of ${deployment.project} is running; this one starts when it ends`;
    }
    case "unknown":
      return `waiting: its job is missing from host ${hostId}'s queue; that host's worker queues it again within a minute`;
    default:
      return null;
  }
}
