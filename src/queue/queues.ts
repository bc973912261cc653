import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { DEPLOY_QUEUE } from "./deploy-job.js";

export function deployQueue(connection: Redis, prefix: string): Queue {
  return new Queue(DEPLOY_QUEUE, { connection, prefix });
}
