import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { provisionProject } from "../../src/provisioning/provision-project.js";
import { reconcileDatabaseJobs } from "../../src/recovery/reconcile-database-jobs.js";
import { createBackup } from "../../src/store/backups.js";
import { createRestore } from "../../src/store/restores.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

let stack: TestStack;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  stack = await createTestStack();
  await provisionProject(stack, "lost");
  // Placed on the stack's host, as `projects add` does: its backups and restores are that host's.
  await stack.db.project.update({
    where: { slug: "lost" },
    data: { hostId: stack.config.host.id },
  });
});
afterAll(async () => {
  await stack?.close();
});

describe("reconciling backups and restores", () => {
  it("queues again a backup whose job Redis lost, and never a restore", async () => {
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "lost" } });
    // Recorded, but never queued: as if Redis had restarted without persistence.
    const backupId = await createBackup(stack.db, {
      projectId: project.id,
      kind: "manual",
      requestedBy: "test",
    });
    const worker = await stack.startWorker();
    await worker.worker.pause();
    const done = await createBackup(stack.db, {
      projectId: project.id,
      kind: "manual",
      requestedBy: "test",
    });
    await stack.db.backup.update({ where: { id: done }, data: { status: "succeeded" } });
    const restoreId = await createRestore(stack.db, {
      projectId: project.id,
      backupId: done,
      requestedBy: "test",
    });

    const result = await reconcileDatabaseJobs(
      stack.db,
      stack.queues,
      stack.config.host.id,
      logger,
    );
    expect(result).toEqual({ requeuedBackups: [backupId], abandonedRestores: [restoreId] });
    // Once queued, a second pass leaves it alone.
    expect(
      await reconcileDatabaseJobs(stack.db, stack.queues, stack.config.host.id, logger),
    ).toEqual({
      requeuedBackups: [],
      abandonedRestores: [],
    });
    const restore = await stack.db.restore.findUniqueOrThrow({ where: { id: restoreId } });
    expect(restore.status).toBe("failed");
    expect(restore.error).toBe(
      "its job was lost by the queue before it started; nothing was changed: ask for the restore again",
    );

    worker.worker.resume();
    for (let i = 0; i < 300; i++) {
      const row = await stack.db.backup.findUniqueOrThrow({ where: { id: backupId } });
      if (row.status === "succeeded") return;
      await sleep(100);
    }
    throw new Error("the requeued backup never ran");
  });
});
