import { rm } from "node:fs/promises";
import type { AppOwner } from "../exec/hand-over.js";
import { copyRelease } from "../releases/copy-release.js";
import { releaseFingerprint } from "../releases/release-fingerprint.js";
import { addWarning } from "../store/deployments.js";
import type { Db } from "../store/prisma.js";
import {
  clearFromStep,
  recordReleaseDir,
  recordReleaseFingerprint,
  releaseSource,
} from "../store/release-directories.js";
import { checkReuse } from "./check-reuse.js";
import { ROLLBACK_SCHEMA_REASON, reusedReason, stepsBefore } from "./reused-steps.js";

export type AttemptLineage = {
  id: string;
  fromStep: string | null;
  retryOfId: string | null;
  rollbackToId: string | null;
};

/**
 * Readies an attempt's own release directory. A retry or rollback that was planned to reuse an
 * earlier release gets a copy of it, after checking again (it may have changed since the plan
 * was made) that it is still valid; if not, every step runs, and a warning says why. Returns
 * the steps the attempt does not run, with the reason each one is recorded skipped. With an
 * owner, the copy is made as the project's uid (see copyRelease).
 *
 * Only a release recorded on this host (`hereHostId`) is reused: its path names a directory of
 * this host's DATA_DIR. One built on another host (a retry or rollback recorded before a move,
 * or forwarded after one) is another machine's disk, or, with two hosts on one machine, another
 * host's directory, whose files and uid this host does not own: every step runs instead.
 */
export async function prepareRelease(
  db: Db,
  deployment: AttemptLineage,
  releaseDir: string,
  hereHostId: string,
  owner: AppOwner | null = null,
): Promise<Map<string, string>> {
  await recordReleaseDir(db, deployment.id, releaseDir);
  const notRun = new Map<string, string>();
  if (deployment.rollbackToId) notRun.set("schema", ROLLBACK_SCHEMA_REASON);
  const sourceId = deployment.retryOfId ?? deployment.rollbackToId;
  if (!deployment.fromStep || !sourceId) return notRun;

  const steps = stepsBefore(deployment.fromStep).filter(
    (name) => !(deployment.rollbackToId && name === "schema"),
  );
  const source = await releaseSource(db, sourceId);
  const check = !source
    ? { ok: false as const, reason: "it is gone" }
    : await checkReuse(db, source, steps, hereHostId);
  const copied =
    check.ok && source?.releaseDir
      ? await copyRelease(source.releaseDir, releaseDir, owner).then(
          () => null,
          (error: Error) => `copying its release directory failed: ${error.message}`,
        )
      : check.ok
        ? "it has no release directory"
        : check.reason;
  if (copied !== null || !source) {
    await rm(releaseDir, { recursive: true, force: true });
    await clearFromStep(db, deployment.id);
    await addWarning(
      db,
      deployment.id,
      `the release of deployment ${sourceId} could not be reused (${copied}); every step ran again`,
    );
    return notRun;
  }
  await recordReleaseFingerprint(
    db,
    deployment.id,
    source.releaseDigestStep ?? steps.at(-1)!,
    await releaseFingerprint(releaseDir),
  );
  for (const step of steps) notRun.set(step, reusedReason(source.id));
  return notRun;
}
