import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { enqueueRestore } from "../queue/database-jobs.js";
import { getBackup } from "../store/backups.js";
import { projectHostId, requireHost } from "../store/hosts.js";
import { createRestore, getRestoreRecord, type RestoreRecord } from "../store/restores.js";
import { provisionedProject } from "./backups.js";
import { backupId, cliRequester, projectOption } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withQueue } from "./with-queue.js";

type Out = NodeJS.WritableStream;
const POLL_MS = 300;

/**
 * `coduck-worker restore --project P --backup <id> --confirm P [--wait] [--json]`: queues a
 * restore of one of the project's backups over its database. Nothing is recorded or queued
 * unless --confirm repeats the slug. Returns the exit code.
 */
export async function restoreCommand(
  config: Config,
  options: { project: string; backup: string; confirm?: string; wait?: boolean; json?: boolean },
  io: { out: Out; err: Out },
): Promise<number> {
  const slug = projectOption(options.project);
  const id = backupId(options.backup);
  if (options.confirm !== slug) {
    throw new UsageError(
      `refusing to restore over the database of ${slug}: it replaces every table and row; ${options.confirm === undefined ? "repeat" : `--confirm ${JSON.stringify(options.confirm)} is not`} the project slug${options.confirm === undefined ? " with" : ": use"} --confirm ${slug}`,
    );
  }
  return withQueue(config, async (db, queues) => {
    const project = await provisionedProject(db, slug);
    const backup = await getBackup(db, id);
    if (!backup || backup.projectId !== project.id)
      throw new UsageError(
        `no backup ${id} of ${slug} (see coduck-worker backups list --project ${slug})`,
      );
    if (backup.status !== "succeeded")
      throw new UsageError(`backup ${id} is ${backup.status}, not a complete backup`);
    const restoreId = await createRestore(db, {
      projectId: project.id,
      backupId: id,
      requestedBy: cliRequester(),
    });
    const hostId = requireHost(await projectHostId(db, project.id), `restore of ${slug}`);
    await enqueueRestore(queues, hostId, restoreId, options.confirm!);
    const progress = options.json ? io.err : io.out;
    progress.write(
      `queued restore ${restoreId} of backup ${id} over the database of ${slug} (a safety backup is taken first)\n`,
    );
    if (!options.wait) {
      if (options.json) io.out.write(`${JSON.stringify({ id: restoreId, status: "queued" })}\n`);
      return 0;
    }
    const record = await waitForRestore(db, restoreId);
    io.out.write(
      options.json ? `${JSON.stringify(record, null, 2)}\n` : `${formatRestore(record)}\n`,
    );
    return record.status === "succeeded" ? 0 : 1;
  });
}

async function waitForRestore(
  db: Parameters<typeof getRestoreRecord>[0],
  id: string,
): Promise<RestoreRecord> {
  for (;;) {
    const record = await getRestoreRecord(db, id);
    if (record && ["succeeded", "failed"].includes(record.status)) return record;
    await sleep(POLL_MS);
  }
}

function formatRestore(r: RestoreRecord): string {
  return [
    `restore ${r.id} of backup ${r.backupId}: ${r.status}`,
    ...r.checks.map((check) => `  ✓ ${check}`),
    // Postgres' error, which may name a tenant's table: shown as text.
    ...(r.error ? [`  ✗ ${terminalText(r.error)}`] : []),
  ].join("\n");
}
