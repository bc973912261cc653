import type { Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { stopWaitingLauncher } from "../exec/ready-launcher.js";
import { sandboxStatus } from "../exec/sandbox.js";
import { reconcileReleases } from "../hosting/reconcile-releases.js";
import { openReleaseHost } from "../hosting/release-host.js";
import { releaseSecrets } from "../hosting/release-secrets.js";
import { syncRemoteRoutes } from "../hosting/remote-routes.js";
import { watchReleases } from "../hosting/watch-releases.js";
import type { Logger } from "../logger.js";
import { reconcileMoves } from "../moves/reconcile-moves.js";
import { stopRuntimeWatches } from "../pipeline/runtime-watch.js";
import { scheduleBackupPruning } from "../queue/database-jobs.js";
import { DEPLOY_ATTEMPTS } from "../queue/deploy-job.js";
import { HostQueues } from "../queue/host-queues.js";
import { connectRedis } from "../queue/redis.js";
import { drainLegacyQueue } from "../recovery/drain-legacy-queue.js";
import { reconcileDatabaseJobs } from "../recovery/reconcile-database-jobs.js";
import { reconcileAndRecord } from "../recovery/record-reconcile.js";
import { loadKeyring } from "../secrets/keyring.js";
import { adoptUnplaced } from "../store/hosts.js";
import { connectDb } from "../store/prisma.js";
import { startHostHeartbeat } from "./host-heartbeat.js";
import { type HttpIntake, startHttpIntake } from "./serve-http.js";
import { startDeployWorker } from "./start-deploy-worker.js";
import { startHousekeepingWorker } from "./start-housekeeping-worker.js";
import { startNotifyWorker } from "./start-notify-worker.js";

const HARD_EXIT_MS = 10_000;
const RECONCILE_INTERVAL_MS = 60_000;

/**
 * Runs the deploy worker until SIGTERM or SIGINT. The first signal stops taking jobs and lets
 * running steps finish within the grace period; past it, or at a second signal, running
 * steps are killed and their deploys handed back to the queue.
 * With `withHttp`, the HTTP server runs in the same process and is closed first on shutdown.
 * Resolves with the process exit code.
 */
export async function runWorker(
  config: Config,
  logger: Logger,
  options: { withHttp?: boolean } = {},
): Promise<number> {
  // No fallback: without a working bubblewrap the worker does not start, unless SANDBOX=off
  // says on purpose that app code runs unsandboxed (then every deployment records it).
  const sandbox = await sandboxStatus(config.sandbox);
  if (config.sandbox === "bwrap" && !sandbox.active)
    throw new ConfigError([
      `SANDBOX: bwrap (the default) is required, but ${sandbox.detail}; set SANDBOX=off to run app code unsandboxed on purpose`,
    ]);
  if (sandbox.active) logger.info({ sandbox: sandbox.detail }, "app commands run sandboxed");
  else logger.warn({ sandbox: sandbox.detail }, "app commands run without a sandbox");
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  let warnedAt = 0;
  const db = connectDb(config.databaseUrl, (error) => {
    if (Date.now() - warnedAt < 5_000) return;
    warnedAt = Date.now();
    logger.warn({ err: error }, "the worker's database is unreachable; retrying");
  });
  const redis = connectRedis(config.redis);
  const queues = new HostQueues(redis, config.queuePrefix);
  // This host in the record first (HOST_ID): placement sees it, and a sole host adopts the
  // projects of an installation from before hosts before its queue is read.
  // Each beat also points this host's router at the projects other hosts serve (the mesh).
  const heartbeat = await startHostHeartbeat(db, config, logger, () =>
    syncRemoteRoutes(config, db, logger),
  );
  const adopted = await adoptUnplaced(db, config.host.id);
  if (adopted > 0)
    logger.info(
      { adopted, host: config.host.id },
      "placed the projects from before hosts on this host",
    );
  const { worker, interruptAll } = startDeployWorker({ db, logger, config, keyring }, redis, {
    concurrency: config.concurrency,
    prefix: config.queuePrefix,
  });
  await worker.waitUntilReady();
  const housekeeping = await startHousekeepingWorker({ db, config, logger }, queues);
  const notify = await startNotifyWorker(
    { db, logger, keyring, prefix: config.queuePrefix },
    redis,
  );
  let http: HttpIntake | null = null;
  try {
    if (options.withHttp) http = await startHttpIntake(config, logger);
  } catch (error) {
    heartbeat.stop();
    await notify.close();
    await housekeeping.close();
    await worker.close();
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.$disconnect();
    throw error;
  }
  logger.info(
    {
      host: config.host.id,
      concurrency: config.concurrency,
      queuePrefix: config.queuePrefix,
      dataDir: config.dataDir,
    },
    "worker ready",
  );
  // Deployments Postgres says are queued or running on this host but Redis lost are queued
  // again, now and every minute (a Redis restarted without persistence loses its jobs, not our
  // deploys); what an upgrade left in the pre-hosts queue is moved to its host's queue first.
  // The releases keep running under their supervisor through worker restarts; at start (and
  // every minute) supervisord's programs and the router's routes are made to match the record.
  const releaseHost = await openReleaseHost(config);
  const hostId = config.host.id;
  const reconcileNow = () =>
    drainLegacyQueue(db, queues, logger)
      .then(() =>
        reconcileAndRecord(db, queues, hostId, logger, config.databaseUrl, DEPLOY_ATTEMPTS),
      )
      .then(() => reconcileDatabaseJobs(db, queues, hostId, logger))
      .then(() => reconcileMoves({ db, queues, config, logger }))
      .then(() =>
        reconcileReleases({
          db,
          host: releaseHost,
          logger,
          databaseUrl: config.databaseUrl,
          hostId,
        }),
      )
      .catch((error) => logger.error({ err: error }, "reconciling failed"));
  await reconcileNow();
  await scheduleBackupPruning(queues.deploy(hostId), config.backups.pruneEveryMs);
  const reconciling = setInterval(reconcileNow, RECONCILE_INTERVAL_MS);
  // A Redis that comes back may have come back empty: look at once, not within the minute.
  const onRedisBack = () => {
    logger.info("redis connection back: reconciling");
    void reconcileNow();
  };
  redis.on("ready", onRedisBack);
  // Restarts and crashes of the live releases, recorded as supervisord makes them.
  const releaseWatch = watchReleases({
    db,
    logger,
    host: async () => releaseHost,
    secretsOf: (project) => releaseSecrets({ db, config, keyring }, project),
  });

  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  const first = await signalled;
  logger.info(
    { signal: first, graceMs: config.shutdownGraceMs },
    "shutting down: finishing running steps",
  );

  const forceNow = () => {
    logger.warn("grace period over: stopping running steps and handing their deploys back");
    interruptAll();
  };
  const grace = setTimeout(forceNow, config.shutdownGraceMs);
  const onSecondSignal = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, "second signal: stopping now");
    forceNow();
    // Recording the hand-back takes a moment; if the database does not answer, exit anyway.
    setTimeout(() => process.exit(1), HARD_EXIT_MS).unref();
  };
  process.on("SIGTERM", onSecondSignal);
  process.on("SIGINT", onSecondSignal);

  try {
    // No new webhook deliveries while the worker winds down; queued deploys wait in Redis.
    await http?.close();
    await notify.close();
    await housekeeping.close();
    await worker.close();
  } finally {
    clearTimeout(grace);
    clearInterval(reconciling);
    // The host is reported down HOST_DOWN_AFTER_SECONDS after this: its jobs wait for it.
    heartbeat.stop();
    redis.off("ready", onRedisBack);
    await queues.close();
    await releaseWatch.stop();
    await stopRuntimeWatches();
    stopWaitingLauncher();
    await redis.quit().catch(() => redis.disconnect());
    await db.$disconnect();
  }
  logger.info("worker stopped");
  return 0;
}
