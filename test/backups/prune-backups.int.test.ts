import { access, chmod, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { type BackupDeps, runBackup } from "../../src/backups/run-backup.js";
import { provisionProject } from "../../src/provisioning/provision-project.js";
import { PRUNE_BACKUPS_JOB, scheduleBackupPruning } from "../../src/queue/database-jobs.js";
import { createBackup } from "../../src/store/backups.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

let stack: TestStack;
let deps: BackupDeps;
const DAY = 24 * 3600 * 1000;

beforeAll(async () => {
  stack = await createTestStack({ BACKUP_KEEP: "2", BACKUP_KEEP_DAYS: "3" });
  deps = {
    db: stack.db,
    config: stack.config,
    keyring: stack.keyring,
    logger: pino({ level: "silent" }),
  };
  await provisionProject(deps, "kept");
  await provisionProject(deps, "lonely");
});
afterAll(async () => {
  await stack?.close();
});

/** A real backup of the project, recorded as taken `daysAgo` days ago. */
async function backupFrom(slug: string, daysAgo: number): Promise<string> {
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug } });
  const id = await createBackup(stack.db, {
    projectId: project.id,
    kind: "manual",
    requestedBy: "test",
  });
  expect((await runBackup(deps, id)).status).toBe("succeeded");
  await stack.db.backup.update({
    where: { id },
    data: { createdAt: new Date(Date.now() - daysAgo * DAY) },
  });
  return id;
}

const fileOf = (slug: string, id: string) =>
  path.join(stack.config.backups.dir, slug, `${id}.sql.gz`);
const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe("backup retention", () => {
  it("prunes on the job scheduler what neither the last N nor the last D days keep, recorded as a job run", async () => {
    const [tenDays, nineDays, eightDays, oneDay] = [
      await backupFrom("kept", 10),
      await backupFrom("kept", 9),
      await backupFrom("kept", 8),
      await backupFrom("kept", 1),
    ];
    const lonely = await backupFrom("lonely", 30);

    await stack.startWorker();
    await scheduleBackupPruning(stack.queue, 300);
    let run = null;
    for (let i = 0; i < 200 && !run; i++) {
      run = await stack.db.jobRun.findFirst({
        where: { name: PRUNE_BACKUPS_JOB, status: "succeeded" },
      });
      if (!run) await sleep(100);
    }
    await stack.queue.removeJobScheduler(PRUNE_BACKUPS_JOB);
    expect(run).toMatchObject({ requestedBy: "schedule", error: null });
    expect((run!.summary as { pruned: { id: string }[] }).pruned.map((p) => p.id).sort()).toEqual(
      [tenDays, nineDays].sort(),
    );

    const status = async (id: string) =>
      (await stack.db.backup.findUniqueOrThrow({ where: { id } })).status;
    expect([await status(tenDays), await status(nineDays)]).toEqual(["pruned", "pruned"]);
    expect(await exists(fileOf("kept", tenDays))).toBe(false);
    // The newest two are kept however old; a single old backup of another project too.
    for (const id of [eightDays, oneDay]) {
      expect(await status(id)).toBe("succeeded");
      expect(await exists(fileOf("kept", id))).toBe(true);
    }
    expect(await status(lonely)).toBe("succeeded");

    const listed = await cli(["backups", "list", "--project", "kept", "--json"], stack.env);
    expect(JSON.parse(listed.stdout as string).map((b: { id: string }) => b.id)).toEqual([
      oneDay,
      eightDays,
    ]);
    const gone = await cli(["backups", "download", tenDays], stack.env);
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toBe(
      `coduck-worker: backup ${tenDays} is pruned: there is no file to download`,
    );
  });
});

describe("backup preconditions", () => {
  it("fails a backup clearly when pg_dump is older than the server, and stores nothing", async () => {
    const bin = await tempDir("coduck-old-pg-");
    await writeFile(path.join(bin, "pg_dump"), '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11"\n');
    await chmod(path.join(bin, "pg_dump"), 0o755);
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "lonely" } });
    const id = await createBackup(stack.db, {
      projectId: project.id,
      kind: "manual",
      requestedBy: "test",
    });
    const run = await runBackup({ ...deps, config: { ...stack.config, pgBinDir: bin } }, id);
    expect(run).toEqual({
      status: "failed",
      error: `pg_dump 14 cannot dump the project's Postgres 15 server: install postgresql-client-15 (or newer) and point PG_BIN_DIR at its bin directory`,
    });
    const row = await stack.db.backup.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "failed", storageKey: null, sha256: null });
    expect(await exists(fileOf("lonely", id))).toBe(false);
  });

  it("refuses to queue a backup of a project without a database, or a malformed id", async () => {
    const before = await stack.db.backup.count();
    const unknown = await cli(["backups", "create", "--project", "ghost"], stack.env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe("coduck-worker: no project ghost");
    const bad = await cli(["backups", "download", "../../etc/passwd"], stack.env);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('coduck-worker: not a backup id: "../../etc/passwd"');
    expect(await stack.db.backup.count()).toBe(before);
  });
});
