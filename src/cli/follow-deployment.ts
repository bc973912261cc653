import { followDeployEvents } from "../queue/deploy-events.js";
import { type HostQueues, hostQueueName } from "../queue/host-queues.js";
import type { RedisConnection } from "../queue/redis.js";
import { type DeploymentRecord, readDeploymentRecord } from "../store/deployment-record.js";
import { isEndedStatus } from "../store/deployment-statuses.js";
import { deploymentHost } from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import type { SqlDb } from "../store/sql-transaction.js";
import { deploymentWait } from "./deployment-wait.js";
import { formatStep } from "./print-deployment.js";

/** How often the record is read when no event came: events can be lost (a Redis restart). */
const FALLBACK_POLL_MS = 2_000;
/** Without an event stream at all (Redis unreachable for reading it), as before events. */
const POLL_MS = 250;
/** How long a deployment stays queued before the follower says what it is waiting for. */
const WAIT_NOTICE_MS = 1_000;
/** HOST_DOWN_AFTER_SECONDS' default, for a caller that does not pass its config's. */
const DEFAULT_HOST_DOWN_AFTER_MS = 30_000;

/**
 * The follower reads in plain SQL on either connection (`deploy --wait` runs on a bare pool,
 * without Prisma); `D` is what the caller reads with afterwards (Prisma's client by default).
 */
export type FollowDeps<D extends SqlDb = Db> = {
  db: D;
  queues: HostQueues;
  /** HOST_DOWN_AFTER_SECONDS, for saying that a queued deployment waits for a host that is down. */
  hostDownAfterMs?: number;
  /** A connection to duplicate for the event reader (it blocks on its own). */
  redis: RedisConnection;
  /** The poll under the events (FALLBACK_POLL_MS); tests make it long to see the events work. */
  pollMs?: number;
};

/**
 * Follows a deployment from any machine until it ends, printing each step as it changes and,
 * while it is queued, what it waits for. Woken by the deploy job's events (the worker publishes
 * each step's start and end), with a slow poll under them in case one is lost.
 */
export async function followDeployment(
  deps: FollowDeps<SqlDb>,
  id: string,
  out: NodeJS.WritableStream,
): Promise<DeploymentRecord> {
  let changed = false;
  let wake = () => {};
  const onEvent = () => {
    changed = true;
    wake();
  };
  // Its host's queue carries its events (a deployment keeps its host).
  const hostId = await deploymentHost(deps.db, id);
  const events = hostId
    ? await followDeployEvents(
        deps.redis.duplicate(),
        deps.queues.prefix,
        hostQueueName("deploys", hostId),
        id,
        onEvent,
      ).catch(() => null)
    : null;
  try {
    const seen = new Map<string, string>();
    const since = Date.now();
    let told: string | null = null;
    for (;;) {
      changed = false;
      const record = await readDeploymentRecord(deps.db, id);
      if (!record) throw new Error(`deployment ${id} disappeared`);
      for (const step of record.steps) {
        const shown = formatStep(step);
        if (step.status !== "pending" && seen.get(step.name) !== shown) {
          seen.set(step.name, shown);
          out.write(`  ${shown}\n`);
        }
      }
      if (isEndedStatus(record.status)) return record;
      let sleepMs = events ? (deps.pollMs ?? FALLBACK_POLL_MS) : POLL_MS;
      if (record.status === "queued") {
        const queuedFor = Date.now() - since;
        if (queuedFor >= WAIT_NOTICE_MS) {
          const wait = await deploymentWait(
            { ...deps, downAfterMs: deps.hostDownAfterMs ?? DEFAULT_HOST_DOWN_AFTER_MS },
            record,
          ).catch(() => null);
          if (wait && wait !== told) out.write(`  ${wait}\n`);
          told = wait ?? told;
        } else sleepMs = Math.min(sleepMs, WAIT_NOTICE_MS - queuedFor);
      }
      if (changed) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
    }
  } finally {
    await events?.close();
  }
}
