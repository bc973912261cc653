import type { Queue } from "bullmq";
import { Cluster, Redis } from "ioredis";

const LOST = new Set(["reconnecting", "close", "end"]);

/**
 * Why the queue's Redis connection is known to be down (`connection is reconnecting`), or null.
 * A command sent on it now would wait, unanswered, until Redis is back (the worker's
 * connections retry forever), so a probe or a scrape asks this first.
 */
export function lostConnection(queue: Queue): string | null {
  const connection = queue.opts.connection;
  if ((connection instanceof Redis || connection instanceof Cluster) && LOST.has(connection.status))
    return `connection is ${connection.status}`;
  return null;
}
