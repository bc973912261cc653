import { randomUUID } from "node:crypto";
import { Worker } from "bullmq";
import { isRoleReadOnly, setSourceReadOnly } from "../../src/moves/freeze-source.js";
import { reconcileMoves } from "../../src/moves/reconcile-moves.js";
import { enqueueMoveStage } from "../../src/queue/move-job.js";
import { createTenantDatabase, queryAt } from "../helpers/databases.js";
import { registerHosts } from "../helpers/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// A move's stages against a worker that dies at the wrong moment. Each stage records itself done
// (the move's `stage` advances) and then queues the next stage on its host. A worker killed
// between the two (OOM, a host reboot) hands its job back through BullMQ's stalled check; the
// job runs again, finds the record already past its stage and ends. Without the next stage
// queued, nothing would ever run it: the move stays `running` forever, with the source frozen
// read-only from the backup stage on, every later move of the project refused ("being moved
// already") and its deploys waiting for the move to end.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
  await registerHosts(stack.db, ["h1", "h2", "h3"]);
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 60_000);

/** A project on `hostId` with a move h1 -> `to` (h2) running, recorded at `stage`. */
async function runningMove(
  slug: string,
  hostId: string,
  stage: string,
  to = "h2",
): Promise<string> {
  const { db } = stack;
  const project = await db.project.create({ data: { slug, hostId } });
  const move = await db.projectMove.create({
    data: {
      id: randomUUID(),
      projectId: project.id,
      fromHostId: "h1",
      toHostId: to,
      status: "running",
      stage,
      fromDatabase: `t_${slug}`,
      fromRole: `t_${slug}`,
    },
    select: { id: true },
  });
  return move.id;
}

/** What host `id`'s worker reconciles moves with. */
const deps = (id: string) => ({
  db: stack.db,
  queues: stack.queues,
  config: { host: { id }, adminDatabaseUrl: stack.config.adminDatabaseUrl },
  logger: stack.logger,
});

const jobState = (hostId: string, jobId: string) => stack.queues.deploy(hostId).getJobState(jobId);

describe("a move stage's job run again after its stage was recorded done", () => {
  it("backup on h1, recorded done, killed before queueing the restore: the restore is queued on h2", async () => {
    const moveId = await runningMove("crash-after-backup", "h1", "restore");
    // The backup stage's job, handed back by the stalled check and run again by h1's worker.
    await enqueueMoveStage(stack.queues, "h1", moveId, "backup");
    await waitFor(
      "the backup stage's job to end",
      async () => (await jobState("h1", `move-${moveId}-backup`)) === "completed",
      30_000,
    );
    expect(await jobState("h2", `move-${moveId}-restore`)).toBe("waiting");
    const move = await stack.db.projectMove.findUniqueOrThrow({ where: { id: moveId } });
    expect({ status: move.status, stage: move.stage }).toEqual({
      status: "running",
      stage: "restore",
    });
  }, 60_000);

  it("any stage behind the record queues the record's stage on its host (routes, on h1)", async () => {
    // As after the deploy stage's switch (project on h2, move at `routes`) with its job handed
    // back: the stale job queues `routes` on the source, h1, whichever stage it was.
    const moveId = await runningMove("crash-after-switch", "h2", "routes");
    await enqueueMoveStage(stack.queues, "h1", moveId, "backup");
    await waitFor(
      "the stale stage's job to end",
      async () => (await jobState("h1", `move-${moveId}-backup`)) === "completed",
      30_000,
    );
    expect(await jobState("h1", `move-${moveId}-routes`)).not.toBe("unknown");
  }, 60_000);

  it("a stage job of a move that has ended queues nothing", async () => {
    const moveId = await runningMove("ended", "h1", "restore");
    await stack.db.projectMove.update({
      where: { id: moveId },
      data: { status: "failed", error: "restore failed" },
    });
    await enqueueMoveStage(stack.queues, "h1", moveId, "backup");
    await waitFor(
      "the backup stage's job to end",
      async () => (await jobState("h1", `move-${moveId}-backup`)) === "completed",
      30_000,
    );
    expect(await jobState("h2", `move-${moveId}-restore`)).toBe("unknown");
  }, 60_000);
});

// The same move stuck another way: its stage's job lost by Redis (restarted without persistence,
// removed by hand) or failed without the move being failed (the stage could not record its
// failure). Each host's reconcile (every minute) queues the stage again when it is that host's.
describe("a running move whose stage's job the queue no longer holds", () => {
  it("has its stage queued again by the stage host's reconcile, and only there", async () => {
    const moveId = await runningMove("lost-restore", "h1", "restore");
    expect((await reconcileMoves(deps("h1"))).stages).not.toContain(moveId);
    expect(await jobState("h1", `move-${moveId}-restore`)).toBe("unknown");
    expect((await reconcileMoves(deps("h2"))).stages).toContain(moveId);
    expect(await jobState("h2", `move-${moveId}-restore`)).toBe("waiting");
    // Held now: a second reconcile leaves it.
    expect((await reconcileMoves(deps("h2"))).stages).not.toContain(moveId);
  });

  it("a failed job of the stage (its failure unrecorded) is queued again", async () => {
    const moveId = await runningMove("failed-restore", "h1", "restore", "h3");
    const queue = stack.queues.deploy("h3");
    await enqueueMoveStage(stack.queues, "h3", moveId, "restore");
    // What a worker's failure of it leaves (taken and failed by hand, as BullMQ's manual
    // processing does): the job failed, the move still running.
    const worker = new Worker(queue.name, null, {
      connection: queue.opts.connection,
      prefix: queue.opts.prefix,
    });
    try {
      const job = (await worker.getNextJob("t1"))!;
      expect(job.id).toBe(`move-${moveId}-restore`);
      await job.moveToFailed(new Error("the worker's database was gone"), "t1");
    } finally {
      await worker.close();
    }
    expect(await jobState("h3", `move-${moveId}-restore`)).toBe("failed");
    expect((await reconcileMoves(deps("h3"))).stages).toContain(moveId);
    expect(await jobState("h3", `move-${moveId}-restore`)).toBe("waiting");
  });

  it("not while the stage before it still runs (it queues this one itself)", async () => {
    // The deploy stage's switch records `routes` while its job still runs; here: `deploy`
    // recorded, the restore stage's job still held on h2.
    const moveId = await runningMove("restore-running", "h1", "deploy");
    await enqueueMoveStage(stack.queues, "h2", moveId, "restore");
    expect((await reconcileMoves(deps("h2"))).stages).not.toContain(moveId);
    expect(await jobState("h2", `move-${moveId}-deploy`)).toBe("unknown");
    await stack.queues.deploy("h2").remove(`move-${moveId}-restore`);
    expect((await reconcileMoves(deps("h2"))).stages).toContain(moveId);
    expect(await jobState("h2", `move-${moveId}-deploy`)).toBe("waiting");
  });
});

// A failed move's source stays frozen until its unfreeze runs. A worker that died between
// failing the move and queueing the unfreeze, or an unfreeze that used its 60 tries (the
// source's Postgres down for longer than ten minutes), left it read-only for ever.
describe("a failed move whose source is still frozen and has no unfreeze queued", () => {
  let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;
  beforeAll(async () => {
    tenant = await createTenantDatabase("unfrz");
    await queryAt(tenant.url, "CREATE TABLE notes (id serial PRIMARY KEY, body text)");
  });
  afterAll(async () => {
    await tenant?.drop();
  });

  async function failedMove(slug: string, projectHost: string): Promise<string> {
    const project = await stack.db.project.create({ data: { slug, hostId: projectHost } });
    const move = await stack.db.projectMove.create({
      data: {
        projectId: project.id,
        fromHostId: "h1",
        toHostId: "h2",
        status: "failed",
        stage: "restore",
        error: "restore failed",
        fromDatabase: tenant.name,
        fromRole: tenant.name,
      },
      select: { id: true },
    });
    return move.id;
  }

  it("has its unfreeze queued again by the source's reconcile: the database takes writes", async () => {
    const target = { role: tenant.name, database: tenant.name };
    await setSourceReadOnly({ adminDatabaseUrl: stack.config.adminDatabaseUrl }, target, true);
    const moveId = await failedMove("unfreeze-lost", "h1");
    // Not the target's business, nor anything while the role is not frozen.
    expect((await reconcileMoves(deps("h2"))).unfreezes).not.toContain(moveId);
    expect((await reconcileMoves(deps("h1"))).unfreezes).toContain(moveId);
    await waitFor(
      "the source's role to be unfrozen",
      async () => !(await isRoleReadOnly(stack.config, tenant.name)),
      30_000,
    );
    await queryAt(tenant.url, "INSERT INTO notes (body) VALUES ('written')");
    await waitFor(
      "the unfreeze job to end",
      async () => (await jobState("h1", `move-${moveId}-unfreeze`)) === "completed",
      30_000,
    );
    // Done (and thawed): not queued again.
    expect((await reconcileMoves(deps("h1"))).unfreezes).not.toContain(moveId);
    // Frozen again after its unfreeze ran (a backup stage that had checked the move before it
    // failed, or was aborted, froze the source late): queued again, and thawed.
    await setSourceReadOnly(
      { adminDatabaseUrl: stack.config.adminDatabaseUrl },
      { role: tenant.name, database: tenant.name },
      true,
    );
    expect((await reconcileMoves(deps("h1"))).unfreezes).toContain(moveId);
    await waitFor(
      "the source's role to be unfrozen again",
      async () => !(await isRoleReadOnly(stack.config, tenant.name)),
      30_000,
    );
  }, 60_000);

  it("recorded frozen and never recorded unfrozen (its ALTER ROLE failed): queued, and recorded unfrozen", async () => {
    // Pushes held after the failed move wait on the record, not on the role's setting.
    const moveId = await failedMove("unfreeze-recorded", "h1");
    await stack.db.projectMove.update({
      where: { id: moveId },
      data: { sourceFrozenAt: new Date() },
    });
    expect(await isRoleReadOnly(stack.config, tenant.name)).toBe(false);
    expect((await reconcileMoves(deps("h1"))).unfreezes).toContain(moveId);
    await waitFor(
      "the move to be recorded unfrozen",
      async () =>
        (await stack.db.projectMove.findUniqueOrThrow({ where: { id: moveId } }))
          .sourceUnfrozenAt !== null,
      30_000,
    );
    expect((await reconcileMoves(deps("h1"))).unfreezes).not.toContain(moveId);
  }, 60_000);

  it("not while the project lives on another host (the source's copy stays frozen)", async () => {
    const target = { role: tenant.name, database: tenant.name };
    await setSourceReadOnly({ adminDatabaseUrl: stack.config.adminDatabaseUrl }, target, true);
    try {
      const moveId = await failedMove("unfreeze-moved", "h2");
      expect((await reconcileMoves(deps("h1"))).unfreezes).not.toContain(moveId);
      expect(await jobState("h1", `move-${moveId}-unfreeze`)).toBe("unknown");
    } finally {
      await setSourceReadOnly({ adminDatabaseUrl: stack.config.adminDatabaseUrl }, target, false);
    }
  });
});
