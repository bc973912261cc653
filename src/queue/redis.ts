import { Redis } from "ioredis";

/** A Redis connection fit for BullMQ workers: blocking commands never give up retrying. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}
