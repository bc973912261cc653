import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { openBackupStore } from "../backups/open-backup-store.js";
import type { Config } from "../config.js";
import { UsageError } from "../errors.js";
import { enqueueBackup } from "../queue/database-jobs.js";
import {
  type BackupRecord,
  backupEnded,
  backupRecord,
  createBackup,
  getBackup,
  listBackups,
} from "../store/backups.js";
import { projectHostId, requireHost } from "../store/hosts.js";
import { connectDb, type Db } from "../store/prisma.js";
import { backupId, cliRequester, projectOption } from "./cli-arguments.js";
import { terminalText } from "./terminal-text.js";
import { withQueue } from "./with-queue.js";

type Out = NodeJS.WritableStream;
const POLL_MS = 300;

/** `coduck-worker backups create --project P [--wait] [--json]`. Returns the exit code. */
export async function createBackupCommand(
  config: Config,
  options: { project: string; wait?: boolean; json?: boolean },
  io: { out: Out; err: Out },
): Promise<number> {
  const slug = projectOption(options.project);
  return withQueue(config, async (db, queues) => {
    const project = await provisionedProject(db, slug);
    const hostId = requireHost(await projectHostId(db, project.id), `backup of ${slug}`);
    const id = await createBackup(db, {
      projectId: project.id,
      kind: "manual",
      requestedBy: cliRequester(),
      hostId,
    });
    await enqueueBackup(queues, hostId, id);
    const progress = options.json ? io.err : io.out;
    progress.write(`queued backup ${id} of ${slug}\n`);
    if (!options.wait) {
      if (options.json) io.out.write(`${JSON.stringify({ id, status: "queued" })}\n`);
      return 0;
    }
    const record = await waitForBackup(db, id);
    io.out.write(
      options.json ? `${JSON.stringify(record, null, 2)}\n` : `${formatBackupLine(record)}\n`,
    );
    return record.status === "succeeded" ? 0 : 1;
  });
}

/** `coduck-worker backups list --project P [--json]`: newest first. */
export async function listBackupsCommand(
  config: Config,
  options: { project: string; json?: boolean },
  out: Out,
): Promise<void> {
  const slug = projectOption(options.project);
  const db = connectDb(config.databaseUrl);
  try {
    const project = await db.project.findUnique({ where: { slug }, select: { id: true } });
    if (!project) throw new UsageError(`no project ${slug}`);
    const records = (await listBackups(db, project.id)).map(backupRecord);
    if (options.json) {
      out.write(`${JSON.stringify(records, null, 2)}\n`);
      return;
    }
    if (records.length === 0) {
      out.write(`no backups of ${slug} yet: coduck-worker backups create --project ${slug}\n`);
      return;
    }
    for (const record of records) out.write(`${formatBackupLine(record)}\n`);
  } finally {
    await db.$disconnect();
  }
}

/**
 * `coduck-worker backups download <id> [-o file]`: the gzip'd SQL, checked against its sha256
 * (a damaged file is deleted, not left behind). `-o -` writes to stdout; without -o, to
 * `<project>-<created>.sql.gz` here.
 */
export async function downloadBackupCommand(
  config: Config,
  id: string,
  options: { output?: string },
  io: { out: Out; err: Out },
): Promise<void> {
  const backup = await withDb(config, async (db) => {
    const row = await getBackup(db, backupId(id));
    if (!row) throw new UsageError(`no backup ${id}`);
    return row;
  });
  if (backup.status !== "succeeded" || !backup.storageKey || !backup.sha256)
    throw new UsageError(`backup ${id} is ${backup.status}: there is no file to download`);
  const body = await openBackupStore(config).get(backup.storageKey);
  const hash = createHash("sha256");
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const target =
    options.output ??
    `${backup.project.slug}-${backup.createdAt.toISOString().replace(/[:.]/g, "").slice(0, 15)}.sql.gz`;
  if (target === "-") {
    await pipeline(body, measure, io.out, { end: false });
    if (hash.digest("hex") !== backup.sha256)
      throw new Error(`backup ${id} is damaged: its sha256 does not match the record`);
    return;
  }
  const partial = `${target}.partial`;
  try {
    await pipeline(body, measure, createWriteStream(partial, { mode: 0o600 }));
    const sha256 = hash.digest("hex");
    if (sha256 !== backup.sha256)
      throw new Error(
        `backup ${id} is damaged: its sha256 is ${sha256}, recorded ${backup.sha256}`,
      );
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  io.err.write(`wrote ${target} (${backup.sizeBytes} bytes, sha256 ${backup.sha256} verified)\n`);
}

/** The project with a database to back up, or a clear error. */
export async function provisionedProject(db: Db, slug: string) {
  const project = await db.project.findUnique({
    where: { slug },
    select: { id: true, database: { select: { provisionedAt: true } } },
  });
  if (!project) throw new UsageError(`no project ${slug}`);
  if (!project.database?.provisionedAt)
    throw new UsageError(
      `project ${slug} has no database yet: it is created on its first deploy (or run provision)`,
    );
  return project;
}

async function waitForBackup(db: Db, id: string): Promise<BackupRecord> {
  for (;;) {
    const row = await getBackup(db, id);
    if (row && backupEnded(row.status)) return backupRecord(row);
    await sleep(POLL_MS);
  }
}

export function formatBackupLine(b: BackupRecord): string {
  const size = b.sizeBytes === null ? "-" : `${(b.sizeBytes / 1024).toFixed(1)} KiB`;
  // pg_dump's error may name the tenant's own tables: shown as text.
  const what = b.status === "failed" ? `failed: ${terminalText(b.error ?? "?")}` : b.status;
  return `${b.id}  ${b.createdAt}  ${b.kind.padEnd(6)}  ${size.padStart(12)}  ${what}${b.sha256 ? `  sha256 ${b.sha256}` : ""}  (${b.requestedBy ?? "?"})`;
}

async function withDb<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const db = connectDb(config.databaseUrl);
  try {
    return await work(db);
  } finally {
    await db.$disconnect();
  }
}
