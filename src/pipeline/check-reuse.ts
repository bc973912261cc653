import { releaseFingerprint } from "../releases/release-fingerprint.js";
import type { Db } from "../store/prisma.js";
import { laterSchemaRun, type ReleaseSource } from "../store/release-directories.js";

export type ReuseCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an earlier deployment's results for `steps` are still valid, so a new attempt can
 * take them instead of running the steps again: each of them ended well there (succeeded, or
 * had nothing to do), its commit is known, its release directory exists with exactly the files
 * those steps left (same fingerprint), and, for `schema`, no other deploy of the project has
 * applied a schema since (its result lives in the database, not in the directory). Only a
 * release built on the host the attempt runs on: its directory is on that host's disk.
 */
export async function checkReuse(
  db: Db,
  source: ReleaseSource,
  steps: readonly string[],
  /** The host the attempt runs on (its worker's); unset when planning: the project's host. */
  runsOn?: string,
): Promise<ReuseCheck> {
  // Its directory is on the disk of the host it was built on.
  const where = runsOn ?? source.project.hostId;
  if (where !== null && source.hostId !== where)
    return refuse(
      `it was built on host ${source.hostId ?? "(none: from before hosts)"}, ${runsOn === undefined ? "and the project lives on" : "not on this host"} ${where}`,
    );
  if (steps.length === 0) return { ok: true };
  for (const name of steps) {
    const step = source.steps.find((s) => s.name === name);
    const endedWell =
      step?.status === "succeeded" || (step?.status === "skipped" && step.startedAt !== null);
    if (!endedWell) {
      const how = step
        ? `${step.status}${step.skipReason ? `: ${step.skipReason}` : ""}`
        : "absent";
      return refuse(`${name} did not succeed in deployment ${source.id} (${how})`);
    }
  }
  if (!source.commitSha || !source.releaseDir || !source.releaseDigest)
    return refuse(`deployment ${source.id} recorded no release directory to reuse`);
  const now = await releaseFingerprint(source.releaseDir);
  if (now === null) return refuse(`its release directory ${source.releaseDir} is gone`);
  if (now !== source.releaseDigest) {
    return refuse(
      `its release directory ${source.releaseDir} has changed since ${source.releaseDigestStep} ended there`,
    );
  }
  const schema = source.steps.find((s) => s.name === "schema");
  if (steps.includes("schema") && schema?.status === "succeeded" && schema.startedAt) {
    const later = await laterSchemaRun(db, source, schema.startedAt);
    if (later)
      return refuse(`deployment ${later.deploymentId} has applied the project's schema since`);
  }
  return { ok: true };
}

function refuse(reason: string): ReuseCheck {
  return { ok: false, reason };
}
