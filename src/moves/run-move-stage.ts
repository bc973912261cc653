import { DelayedError, WaitingError } from "bullmq";
import { backupKey } from "../backups/backup-store.js";
import { openBackupStore } from "../backups/open-backup-store.js";
import { runRestore } from "../backups/restore-backup.js";
import { type BackupDeps, runBackup } from "../backups/run-backup.js";
import { syncRemoteRoutes } from "../hosting/remote-routes.js";
import { type DeployDeps, runDeployment } from "../pipeline/run-deployment.js";
import { DEPLOY_STEP_NAMES } from "../pipeline/step-names.js";
import { withAdminSession } from "../provisioning/admin-session.js";
import { projectDatabaseName } from "../provisioning/names.js";
import { provisionProject } from "../provisioning/provision-project.js";
import type { HostQueues } from "../queue/host-queues.js";
import { enqueueMoveStage, type MoveJobStage } from "../queue/move-job.js";
import { createBackup, getBackup } from "../store/backups.js";
import { createDeployment } from "../store/deployments.js";
import {
  failProjectMove,
  getProjectMove,
  latestProjectMove,
  MOVE_TRIGGER,
  movesInFlightTo,
  noteMoveProgress,
  type ProjectMoveRecord,
} from "../store/project-moves.js";
import { getRestoreRecord } from "../store/restores.js";
import { clusterIdentity } from "./cluster-identity.js";
import { freezeOfMove, setSourceReadOnly } from "./freeze-source.js";
import { MOVE_STAGES, nextStage, stageHost, UNFREEZE_STAGE } from "./move-stages.js";

export type MoveDeps = DeployDeps & BackupDeps & { queues: HostQueues };

/** Runs `work` holding the project's lane (the job processor's holdProjectLane). */
export type InLane = <T>(work: () => Promise<T>) => Promise<T>;

/** How one stage ended, as far as the queue is concerned. */
export type StageRun = "done" | "failed" | "already-ended" | "busy" | "waiting" | "handed-back";

/**
 * How many moves to one target may be past their backup at once (sources frozen, restores and
 * deploys queued on the target); a further move's backup waits ("waiting") before it freezes.
 */
const MOVES_IN_FLIGHT = 2;

/** A stage's job delivered to a worker of another host: never run. */
export class WrongHostError extends Error {
  override name = "WrongHostError";
}

/**
 * Runs one stage of a move on this host, and queues the next on its host once this one is
 * recorded done. A stage that throws fails the move there, with why: the project's host and
 * traffic are left as they are (only `deploy`'s switch changes them).
 */
export async function runMoveStage(
  deps: MoveDeps,
  moveId: string,
  stage: MoveJobStage,
  signal: AbortSignal,
  inLane: InLane,
): Promise<StageRun> {
  const move = await getProjectMove(deps.db, moveId);
  if (!move) return "already-ended";
  const here = deps.config.host.id;
  if (stageHost(move, stage) !== here)
    throw new WrongHostError(
      `refused: stage ${stage} of move ${moveId} runs on host ${stageHost(move, stage)}, not this host ${here}`,
    );
  if (stage === "cleanup") return cleanup(deps, move);
  if (stage === "unfreeze") return unfreeze(deps, move);
  if (move.status !== "running") return "already-ended";
  if (move.stage !== stage) return queueRecordedStage(deps, move, stage);
  const logger = deps.logger.child({ moveId, project: move.project, stage });
  try {
    const outcome = await STAGES[stage](deps, move, signal, inLane);
    if (outcome !== "done") return outcome;
    const next = nextStage(stage);
    if (next) await enqueueMoveStage(deps.queues, stageHost(move, next.name), moveId, next.name);
    logger.info({ next: next?.name ?? null }, "move stage done");
    return "done";
  } catch (error) {
    if (error instanceof DelayedError || error instanceof WaitingError) throw error;
    if (signal.aborted) return "handed-back";
    const why = error instanceof Error ? error.message : String(error);
    if (await failProjectMove(deps.db, moveId, stage, why)) await queueUnfreeze(deps, move);
    logger.warn({ error: why }, "move failed; the project stays on its source host");
    return "failed";
  }
}

/**
 * A stage's job run again after its stage was recorded done (its worker died before it queued
 * the next: BullMQ's stalled check hands the job back): the stage the record is at is queued
 * on its host, where nothing else would queue it (the same job id: a no-op when it is queued
 * already). A job of a stage the record has not reached yet is never run early.
 */
async function queueRecordedStage(
  deps: MoveDeps,
  move: ProjectMoveRecord,
  stage: MoveJobStage,
): Promise<"already-ended"> {
  const order = MOVE_STAGES.map((s) => s.name);
  const at = order.indexOf(move.stage as MoveJobStage);
  const ran = order.indexOf(stage);
  if (ran !== -1 && at > ran) {
    const next = order[at]!;
    await enqueueMoveStage(deps.queues, stageHost(move, next), move.id, next);
    deps.logger.warn(
      { moveId: move.id, project: move.project, stage, next },
      "move stage run again after it was recorded done: queued the stage its record is at",
    );
  }
  return "already-ended";
}

/**
 * A failed move's source takes writes again: its unfreeze, queued on the source host whichever
 * host the move failed on (idempotent: queued once per move). Failing to queue it is recorded
 * on the move, since the source then stays read-only.
 */
async function queueUnfreeze(deps: MoveDeps, move: ProjectMoveRecord): Promise<void> {
  try {
    await enqueueMoveStage(deps.queues, move.fromHostId, move.id, UNFREEZE_STAGE.name);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    deps.logger.error({ moveId: move.id, error: why }, "could not queue the source's unfreeze");
    await noteMoveProgress(
      deps.db,
      move.id,
      `the unfreeze of ${move.fromDatabase} on ${move.fromHostId} could not be queued (${why}): it stays read-only`,
    ).catch(() => {});
  }
}

type Stage = (
  deps: MoveDeps,
  move: ProjectMoveRecord,
  signal: AbortSignal,
  inLane: InLane,
) => Promise<"done" | "busy" | "waiting" | "handed-back">;

const STAGES: Record<Exclude<MoveJobStage, "cleanup" | "unfreeze">, Stage> = {
  backup: backupStage,
  restore: restoreStage,
  deploy: deployStage,
  routes: routesStage,
};

/** On the source: the project's database dumped into the backup store (the target reads it there). */
async function backupStage(
  deps: MoveDeps,
  move: ProjectMoveRecord,
  signal: AbortSignal,
  inLane: InLane,
): Promise<"done" | "waiting" | "handed-back"> {
  // Frozen from here to its switch: a move waits (before freezing anything) while its target
  // is busy with others, so a drain's many moves are read-only one target slot at a time, not
  // all at once behind every restore and deploy queued on the target.
  if (!move.backupId && (await movesInFlightTo(deps.db, move.toHostId, move.id)) >= MOVES_IN_FLIGHT)
    return "waiting";
  const fromCluster = await clusterIdentity(deps.config);
  let backupId = move.backupId;
  if (!backupId) {
    backupId = await createBackup(deps.db, {
      projectId: move.projectId,
      kind: "manual",
      requestedBy: `move ${move.id}`,
      hostId: move.fromHostId,
    });
    await deps.db.projectMove.update({ where: { id: move.id }, data: { fromCluster } });
    await noteMoveProgress(
      deps.db,
      move.id,
      `backup ${backupId} of ${move.fromDatabase} on ${move.fromHostId}`,
      {
        backupId,
      },
    );
  }
  const id = backupId;
  const run = await inLane(async () => {
    // Before the dump: what the app writes from now on would stay behind in the source's copy.
    // Done again when the stage is (after a crash): harmless, the role stays read-only.
    const frozen = await setSourceReadOnly(
      deps.config,
      { role: move.fromRole, database: move.fromDatabase },
      true,
      freezeOfMove(deps.db, move.id),
    );
    if ("skipped" in frozen) throw new Error(`the source was not frozen: ${frozen.skipped}`);
    await noteMoveProgress(
      deps.db,
      move.id,
      `source frozen read-only at ${frozen.at.toISOString()}: ${move.fromDatabase} on ${move.fromHostId} refuses writes until the move ends (${frozen.terminated} session(s) ended; reads go on)`,
    );
    return runBackup(deps, id, signal);
  });
  if (run.status === "handed-back") return "handed-back";
  const backup = await getBackup(deps.db, id);
  if (backup?.status !== "succeeded")
    throw new Error(
      `backup ${id} ${backup?.status ?? "is gone"}: ${backup?.error ?? "no error recorded"}`,
    );
  await noteMoveProgress(
    deps.db,
    move.id,
    `backup ${id} done (${backup.sizeBytes ?? "?"} bytes, sha256 ${backup.sha256})`,
    { stage: "restore" },
  );
  return "done";
}

/** On the target: a database of its own cluster, provisioned fresh, with the backup restored in it. */
async function restoreStage(
  deps: MoveDeps,
  move: ProjectMoveRecord,
  signal: AbortSignal,
  inLane: InLane,
): Promise<"done"> {
  const { config, db } = deps;
  const toCluster = await clusterIdentity(config);
  await db.projectMove.update({ where: { id: move.id }, data: { toCluster } });
  if (toCluster && toCluster === move.fromCluster)
    throw new Error(
      `hosts ${move.fromHostId} and ${move.toHostId} administer the same Postgres cluster (system identifier ${toCluster}): there is nothing to move the database to; give each host its own cluster (ADMIN_DATABASE_URL)`,
    );
  const database = projectDatabaseName(config.projectDatabasePrefix, move.project);
  if (database !== move.fromDatabase)
    throw new Error(
      `this host's PROJECT_DATABASE_PREFIX names the project's database ${database}, the source's ${move.fromDatabase}: every host must use the same prefix`,
    );
  const backup = move.backupId ? await getBackup(db, move.backupId) : null;
  if (backup?.status !== "succeeded")
    throw new Error(`the move's backup ${move.backupId ?? "(none)"} is not a complete backup`);
  const store = openBackupStore(config);
  const key = backupKey(move.project, backup.id);
  try {
    (await store.get(key)).destroy();
  } catch (error) {
    throw new Error(
      `backup ${backup.id} is not in this host's backup store (${config.backups.dir}): a move reads the source's backup from a BACKUP_DIR both hosts share (${(error as Error).message})`,
    );
  }
  await inLane(async () => {
    const provisioned = await provisionProject(deps, move.project);
    // A role this cluster has from an earlier move away from this host (its copy kept, frozen)
    // would restore and serve read-only: the target's role takes writes. (A fresh one does: the
    // freeze is a setting of the source's role, which pg_dump does not carry.)
    await setSourceReadOnly(config, { role: database, database }, false);
    await noteMoveProgress(
      db,
      move.id,
      `database ${database} on ${move.toHostId}: ${provisioned.actions.join(", ") || "already there"}`,
    );
  });
  const { id: restoreId } = await db.restore.create({
    data: {
      projectId: move.projectId,
      backupId: backup.id,
      requestedBy: `move ${move.id}`,
      hostId: move.toHostId,
    },
    select: { id: true },
  });
  await noteMoveProgress(db, move.id, `restore ${restoreId} of backup ${backup.id}`, { restoreId });
  const run = await inLane(() => runRestore(deps, restoreId, move.project, signal));
  const restore = await getRestoreRecord(db, restoreId);
  if (run !== "succeeded")
    throw new Error(
      `restore ${restoreId} ${restore?.status ?? run}: ${restore?.error ?? "no error recorded"}`,
    );
  await noteMoveProgress(
    db,
    move.id,
    `restored on ${move.toHostId}: ${restore?.checks.join("; ")}`,
    {
      stage: "deploy",
    },
  );
  return "done";
}

/**
 * On the target: the live release's commit deployed again, recorded on the target. Its start
 * step, once the release is healthy, is the switch (store/project-moves.ts, switchProjectHost).
 */
async function deployStage(
  deps: MoveDeps,
  move: ProjectMoveRecord,
  signal: AbortSignal,
): Promise<"done" | "busy" | "handed-back"> {
  const { db } = deps;
  let deploymentId = move.deploymentId;
  if (!deploymentId) {
    const project = await db.project.findUniqueOrThrow({
      where: { id: move.projectId },
      select: { liveDeployment: { select: { id: true, repoUrl: true, commitSha: true } } },
    });
    const live = project.liveDeployment;
    if (!live?.commitSha)
      throw new Error("the project has no live release to deploy on the target; deploy it first");
    ({ id: deploymentId } = await createDeployment(db, {
      project: move.project,
      repoUrl: live.repoUrl,
      ref: live.commitSha,
      trigger: MOVE_TRIGGER,
      steps: DEPLOY_STEP_NAMES,
      hostId: move.toHostId,
      lineage: { requestedBy: `move ${move.id}` },
    }));
    await noteMoveProgress(
      db,
      move.id,
      `deployment ${deploymentId} of ${live.commitSha} (live ${live.id}) on ${move.toHostId}`,
      { deploymentId },
    );
  }
  const run = await runDeployment(deps, deploymentId, signal, { canRetry: false, maxAttempts: 1 });
  if (run === "busy" || run === "handed-back") return run;
  const [deployment, project] = await Promise.all([
    db.deployment.findUnique({
      where: { id: deploymentId },
      select: { status: true, errorCode: true, hint: true },
    }),
    db.project.findUnique({ where: { id: move.projectId }, select: { hostId: true } }),
  ]);
  if (project?.hostId !== move.toHostId || deployment?.status !== "succeeded")
    throw new Error(
      `deployment ${deploymentId} ${deployment?.status ?? "is gone"}${deployment?.errorCode ? ` (${deployment.errorCode}${deployment.hint ? `: ${deployment.hint}` : ""})` : ""}: the project was not switched and stays on ${move.fromHostId} (see coduck-worker logs ${deploymentId})`,
    );
  // This host's router: its remote route of the project, now its own, goes.
  await syncRemoteRoutes(deps.config, db, deps.logger);
  return "done";
}

/** On the source: its router sends the project to the target; the move is done. */
async function routesStage(deps: MoveDeps, move: ProjectMoveRecord): Promise<"done"> {
  const synced = await syncRemoteRoutes(deps.config, deps.db, deps.logger);
  const refused = synced.refused.find((r) => r.project === move.project);
  if (refused)
    throw new Error(
      `the project serves from ${move.toHostId}, but this host's router may not route to it: ${refused.reason}`,
    );
  await noteMoveProgress(
    deps.db,
    move.id,
    `${move.fromHostId}'s router sends ${move.project} to ${move.toHostId}; the source database ${move.fromDatabase} is kept until: coduck-worker projects move ${move.project} --cleanup --confirm ${move.project}`,
    { status: "moved" },
  );
  return "done";
}

/**
 * On the source, once the move failed: its database takes writes again (the role's setting
 * reset, its sessions ended so that they start without it). Only while the project still lives
 * there and this is its last move: a move that failed after the switch leaves the source's copy
 * frozen, as a finished move does, and a later move owns the freeze. The check is made under
 * the role's freeze lock (setSourceReadOnly), so that a later move's freeze cannot come between
 * it and the reset; not in the project's lane, which a deploy held during the move may take
 * first, and fail on a database still read-only. Such a deploy waits for this one (the pickup
 * reads the move's sourceFrozenAt and sourceUnfrozenAt, store/deployment-host.ts).
 */
async function unfreeze(deps: MoveDeps, move: ProjectMoveRecord): Promise<StageRun> {
  const { db, config } = deps;
  if (move.status !== "failed") return "already-ended";
  const thawed = await setSourceReadOnly(
    config,
    { role: move.fromRole, database: move.fromDatabase },
    false,
    async () => {
      const [last, project] = await Promise.all([
        latestProjectMove(db, move.projectId),
        db.project.findUnique({ where: { id: move.projectId }, select: { hostId: true } }),
      ]);
      if (last?.id !== move.id) return `move ${last?.id} came after this one`;
      if (project?.hostId !== move.fromHostId)
        return `the project lives on ${project?.hostId ?? "no host"} now: the source's copy stays read-only`;
      return null;
    },
  );
  if ("skipped" in thawed) {
    await noteMoveProgress(
      db,
      move.id,
      `unfreeze of ${move.fromDatabase} skipped: ${thawed.skipped}`,
    );
    return "already-ended";
  }
  // Once the reset is done and the sessions that started before it ended: a deploy held for it
  // (store/deployment-host.ts) starts from now on, its sessions writable.
  await db.projectMove.update({
    where: { id: move.id },
    data: { sourceUnfrozenAt: thawed.at },
  });
  await noteMoveProgress(
    db,
    move.id,
    `source unfrozen at ${thawed.at.toISOString()}: ${move.fromDatabase} on ${move.fromHostId} takes writes again (${thawed.terminated} session(s) ended)`,
  );
  return "done";
}

/** On the source, confirmed: the source's copy of the database and its role are dropped. */
async function cleanup(deps: MoveDeps, move: ProjectMoveRecord): Promise<StageRun> {
  const { db, config } = deps;
  if (move.cleanupStatus !== "queued") return "already-ended";
  const refuse = async (error: string) => {
    await db.projectMove.update({
      where: { id: move.id },
      data: { cleanupStatus: "failed", cleanupError: error },
    });
    return "failed" as const;
  };
  if (move.status !== "moved") return refuse(`the move is ${move.status}, not moved`);
  // Only the project's last move may drop a copy: a later move may own that name again.
  const last = await latestProjectMove(db, move.projectId);
  if (last?.id !== move.id)
    return refuse(`move ${last?.id} came after this one: the database may be in use again`);
  if (move.projectHostId === config.host.id)
    return refuse(`the project lives on this host (${config.host.id}) again: its database stays`);
  const here = await clusterIdentity(config);
  if (here === null || here === move.toCluster)
    return refuse(
      here === null
        ? "this host's cluster cannot be told apart from the target's (the admin role may not read pg_control_system()): drop it by hand"
        : `this host's cluster is the target's (${here}): dropping would drop the live database`,
    );
  try {
    await withAdminSession(config.adminDatabaseUrl, undefined, async (admin) => {
      await admin.query(
        `DROP DATABASE IF EXISTS ${admin.escapeIdentifier(move.fromDatabase)} WITH (FORCE)`,
      );
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(move.fromRole)}`);
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
  await db.projectMove.update({
    where: { id: move.id },
    data: {
      cleanupStatus: "done",
      cleanedAt: new Date(),
      log: {
        push: `${new Date().toISOString()} cleanup: dropped ${move.fromDatabase} on ${move.fromHostId}`,
      },
    },
  });
  return "done";
}
