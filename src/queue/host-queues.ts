import { type ConnectionOptions, Queue } from "bullmq";
import { HOUSEKEEPING_QUEUE } from "./housekeeping-job.js";
import { NOTIFY_QUEUE } from "./notify-job.js";

/**
 * Which queue a job goes to: the one place that maps (kind, host) to a queue name.
 *
 * Everything that runs on a host, beside its project's database and release directories, is on
 * that host's own queues, which only that host's worker consumes: `deploys@<host>` (deploy,
 * retry, rollback, backup, restore, prune-backups) and `housekeeping@<host>` (prune-releases,
 * prune-caches: they read its DATA_DIR). Host-agnostic work stays on shared queues that every
 * worker consumes: `housekeeping` (prune-logs, clean-jobs) and `notify`. BullMQ forbids `:` in
 * a queue name (its key separator); `@` is allowed, and a host id is `[a-z0-9-]` (HOST_ID).
 */
export const QUEUE_KINDS = ["deploys", "housekeeping"] as const;
export type HostQueueKind = (typeof QUEUE_KINDS)[number];

export function hostQueueName(kind: HostQueueKind, hostId: string): string {
  return `${kind}@${hostId}`;
}

/** The queues no one host owns, consumed by every worker. */
export const SHARED_QUEUES: readonly string[] = [HOUSEKEEPING_QUEUE, NOTIFY_QUEUE];

/**
 * The one deploy queue of the versions before hosts. A worker drains what is left in it into
 * the host queues at start and on every reconcile (recovery/drain-legacy-queue.ts), so an
 * installation upgrading keeps the jobs it had queued; nothing new is ever added to it.
 */
export const LEGACY_DEPLOY_QUEUE = "deploys";

/**
 * BullMQ Queue handles, opened on first use per name and cached, all on one Redis connection
 * and prefix (a Queue opens no connection of its own when given one): enqueue sites ask for
 * the host's queue (`deploy(hostId)`), from any machine. close() closes every handle opened,
 * never the connection (its owner's to close).
 */
export class HostQueues {
  private readonly opened = new Map<string, Queue>();

  constructor(
    readonly connection: ConnectionOptions,
    readonly prefix: string,
  ) {}

  /** `deploys@<hostId>`: the host's deploys and database jobs. */
  deploy(hostId: string): Queue {
    return this.named(hostQueueName("deploys", hostId));
  }

  /** `housekeeping@<hostId>`: the host's local-disk housekeeping. */
  housekeeping(hostId: string): Queue {
    return this.named(hostQueueName("housekeeping", hostId));
  }

  /** Any queue by its name (the shared ones, the legacy one). */
  named(name: string): Queue {
    let queue = this.opened.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // The shared connection's errors are its owner's to report (/readyz names them).
      queue.on("error", () => {});
      this.opened.set(name, queue);
    }
    return queue;
  }

  /**
   * Every queue of the installation for these hosts (the registered ones): theirs, the shared
   * ones, and the legacy deploy queue (its finished jobs are cleaned like the others').
   */
  all(hostIds: readonly string[]): Queue[] {
    return [
      ...hostIds.flatMap((id) => [this.deploy(id), this.housekeeping(id)]),
      ...SHARED_QUEUES.map((name) => this.named(name)),
      this.named(LEGACY_DEPLOY_QUEUE),
    ];
  }

  async close(): Promise<void> {
    const queues = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(queues.map((queue) => queue.close().catch(() => {})));
  }
}
