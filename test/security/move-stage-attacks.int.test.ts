import { randomUUID } from "node:crypto";
import { enqueueMoveStage } from "../../src/queue/move-job.js";
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
  for (const id of ["h1", "h2"])
    await stack.db.host.upsert({
      where: { id },
      create: {
        id,
        address: `10.0.0.${id.slice(1)}:8080`,
        maxProjects: 100,
        heartbeatAt: new Date(),
      },
      update: { heartbeatAt: new Date() },
    });
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 60_000);

/** A project on `hostId` with a move h1 -> h2 running, recorded at `stage`. */
async function runningMove(slug: string, hostId: string, stage: string): Promise<string> {
  const { db } = stack;
  const project = await db.project.create({ data: { slug, hostId } });
  const move = await db.projectMove.create({
    data: {
      id: randomUUID(),
      projectId: project.id,
      fromHostId: "h1",
      toHostId: "h2",
      status: "running",
      stage,
      fromDatabase: `t_${slug}`,
      fromRole: `t_${slug}`,
    },
    select: { id: true },
  });
  return move.id;
}

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
