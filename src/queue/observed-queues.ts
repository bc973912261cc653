import { Queue } from "bullmq";
import { HOUSEKEEPING_QUEUE } from "./housekeeping-job.js";
import { NOTIFY_QUEUE } from "./notify-job.js";

/** The queues /metrics counts and clean-jobs cleans, beside the deploy queue. */
const OTHER_QUEUES: string[] = [HOUSEKEEPING_QUEUE, NOTIFY_QUEUE];

/**
 * The deploy queue and a handle on each other queue of the installation, on the deploy
 * queue's Redis connection and prefix (opening a Queue adds no connection of its own).
 */
export function observedQueues(deploy: Queue): { all: Queue[]; close(): Promise<void> } {
  const others = OTHER_QUEUES.map((name) => {
    const queue = new Queue(name, {
      connection: deploy.opts.connection,
      prefix: deploy.opts.prefix,
    });
    // The shared connection's errors are the deploy queue's to report; /readyz names them.
    queue.on("error", () => {});
    return queue;
  });
  return {
    all: [deploy, ...others],
    close: async () => {
      await Promise.all(others.map((queue) => queue.close()));
    },
  };
}
