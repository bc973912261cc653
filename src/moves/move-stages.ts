import type { MoveJobStage } from "../queue/move-job.js";

/** Which of the move's two hosts a stage runs on. */
export type StageHost = "from" | "to";

/**
 * A move, in order: read this list to read a move. Each stage is a job on its host's deploy
 * queue, queued by the stage before it once that one is recorded done. Until `deploy`'s start
 * step switches the project (its host and live release, in one transaction), the project and
 * its traffic stay on the source; any stage's failure stops the move there.
 */
export const MOVE_STAGES: readonly { name: MoveJobStage; on: StageHost; does: string }[] = [
  {
    name: "backup",
    on: "from",
    does: "freeze the project's database read-only on the source, then dump it into the shared backup store",
  },
  {
    name: "restore",
    on: "to",
    does: "provision the project's database on the target's own cluster and restore the backup into it",
  },
  {
    name: "deploy",
    on: "to",
    does: "deploy the live release's commit on the target; its start step is the switch",
  },
  {
    name: "routes",
    on: "from",
    does: "point the source's router at the target (its release stops with the next reconcile)",
  },
];

/** Separate and confirmed (`projects move P --cleanup --confirm P`): drops the source's database. */
export const CLEANUP_STAGE = { name: "cleanup", on: "from" } as const;

/**
 * Queued on the source when a move fails (at any stage, on either host): the source's database,
 * read-only from the backup stage on, takes writes again. A move that succeeded leaves its
 * source read-only until its cleanup drops it: that copy must not diverge from the target's.
 */
export const UNFREEZE_STAGE = { name: "unfreeze", on: "from" } as const;

/** The stage after `stage`; null after the last. */
export function nextStage(stage: MoveJobStage): (typeof MOVE_STAGES)[number] | null {
  const index = MOVE_STAGES.findIndex((s) => s.name === stage);
  return index === -1 ? null : (MOVE_STAGES[index + 1] ?? null);
}

/** The host a stage of the move runs on. */
export function stageHost(
  move: { fromHostId: string; toHostId: string },
  stage: MoveJobStage,
): string {
  const on =
    stage === CLEANUP_STAGE.name || stage === UNFREEZE_STAGE.name
      ? "from"
      : MOVE_STAGES.find((s) => s.name === stage)?.on;
  return on === "to" ? move.toHostId : move.fromHostId;
}
