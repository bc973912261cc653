import { Redis } from "ioredis";

/** A Redis connection fit for BullMQ workers: blocking commands never give up retrying. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * A connection for a command that ends (the CLI): like connectRedis, but closing it never
 * holds the process. A command that did not use Redis can close it while ioredis is still in
 * its handshake (status `connect`); ioredis then ends the socket without reading it to its
 * end, and only destroys it after `disconnectTimeout` (2 s by default): the 2 s stall on exit
 * of issue 25. Here the socket is destroyed 20 ms after it was ended; every reply the command
 * waited for has already arrived by then.
 */
export function connectRedisForCommand(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, disconnectTimeout: 20 });
}
