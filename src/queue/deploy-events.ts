import { QueueEvents } from "bullmq";
import type { RedisConnection } from "./redis.js";

/** The events of a deploy job a follower hears: BullMQ's, and `progress` for a step's change. */
export const DEPLOY_JOB_EVENTS = [
  "waiting",
  "active",
  "delayed",
  "progress",
  "completed",
  "failed",
  "removed",
] as const;
export type DeployJobEvent = (typeof DEPLOY_JOB_EVENTS)[number];

/** Replayed from this far back, so that an event sent while the reader connects is not lost. */
const REPLAY_MS = 2_000;

/**
 * Tells `onEvent` of every event of one deploy job (its id is the deployment's id): BullMQ's
 * own (`waiting`, `active`, `delayed`, `completed`, `failed`, …) and each recorded step start
 * and end, which the deploy job publishes as its progress (jobs/deploy.ts). They are read from
 * the event stream of its host's deploy queue (`queueName`) on `connection`, which the reader blocks on and then owns: close()
 * disconnects it. Resolves once the reader is connected: a record read after that misses no
 * change, since events are also replayed from REPLAY_MS before the call.
 */
export async function followDeployEvents(
  connection: RedisConnection,
  prefix: string,
  queueName: string,
  deploymentId: string,
  onEvent: (event: DeployJobEvent) => void,
): Promise<{ close(): Promise<void> }> {
  const events = new QueueEvents(queueName, {
    connection,
    prefix,
    // Stream ids are Redis' clock in ms; one from another machine's clock is only a start.
    lastEventId: `${Date.now() - REPLAY_MS}-0`,
    blockingTimeout: 5_000,
  });
  // BullMQ also emits each event as `<event>:<job id>`.
  for (const name of DEPLOY_JOB_EVENTS) {
    events.on(`${name}:${deploymentId}` as "waiting", () => onEvent(name));
  }
  // A reader that lost its connection is no reason to fail a deploy's follower: the poll goes on.
  events.on("error", () => {});
  const close = async () => {
    await events.close().catch(() => {});
    connection.disconnect();
  };
  try {
    await events.waitUntilReady();
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}
