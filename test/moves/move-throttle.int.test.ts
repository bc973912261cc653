import { randomUUID } from "node:crypto";
import { enqueueMoveStage } from "../../src/queue/move-job.js";
import { registerHosts } from "../helpers/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// A drain asks for every project's move at once. Each move's backup freezes its source until
// its switch on the target, where the restores and deploys queue behind one another: without a
// limit, every project would be read-only for most of the drain. A backup waits, before it
// freezes anything, while two moves to its target are past their backup.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
  await registerHosts(stack.db, ["h1", "h2"]);
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 60_000);

async function move(slug: string, data: { backupId?: string } = {}): Promise<string> {
  const project = await stack.db.project.create({ data: { slug, hostId: "h1" } });
  const { id } = await stack.db.projectMove.create({
    data: {
      projectId: project.id,
      fromHostId: "h1",
      toHostId: "h2",
      stage: data.backupId ? "restore" : "backup",
      fromDatabase: `t_${slug}`,
      fromRole: `t_${slug}`,
      ...data,
    },
    select: { id: true },
  });
  return id;
}

it("holds a move's backup, unfrozen, while two moves to its target are in flight; it goes on when one ends", async () => {
  const inFlight = [
    await move("first", { backupId: randomUUID() }),
    await move("second", { backupId: randomUUID() }),
  ];
  const waiting = await move("third");
  await enqueueMoveStage(stack.queues, "h1", waiting, "backup");
  const jobId = `move-${waiting}-backup`;
  await waitFor(
    "the backup's job to be put off",
    async () => (await stack.queues.deploy("h1").getJobState(jobId)) === "delayed",
    15_000,
  );
  const held = await stack.db.projectMove.findUniqueOrThrow({ where: { id: waiting } });
  expect(held).toMatchObject({
    status: "running",
    stage: "backup",
    backupId: null,
    sourceFrozenAt: null,
  });
  // One of the two ends: the waiting backup goes ahead (here it fails: the project has no
  // database, which shows it ran).
  await stack.db.projectMove.update({ where: { id: inFlight[0] }, data: { status: "moved" } });
  await waitFor(
    "the held backup to run",
    async () =>
      (await stack.db.projectMove.findUniqueOrThrow({ where: { id: waiting } })).status !==
      "running",
    20_000,
  );
  const ran = await stack.db.projectMove.findUniqueOrThrow({ where: { id: waiting } });
  expect(ran).toMatchObject({ status: "failed", stage: "backup" });
}, 60_000);
