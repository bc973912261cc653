import type { Queue } from "bullmq";

/**
 * What a queued deployment is waiting for, in a line an operator can act on, read from its job
 * in the queue (its id is the deployment's); null when it is about to start.
 */
export async function deploymentWait(
  queue: Queue,
  deployment: { id: string; project: string },
): Promise<string | null> {
  const state = await queue.getJobState(deployment.id);
  switch (state) {
    case "waiting":
    case "prioritized": {
      const workers = await queue.getWorkersCount().catch(() => null);
      if (workers === 0) return "waiting: no worker is running to take it (coduck-worker start)";
      return `waiting for a free worker: ${workers ?? "every"} worker${workers === 1 ? " is" : "s are"} busy with other deploys`;
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
      return "waiting: its job is missing from the queue; a worker queues it again when it starts";
    default:
      return null;
  }
}
