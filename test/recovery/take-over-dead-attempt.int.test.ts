import pg from "pg";
import pino from "pino";
import { DEPLOY_STEP_NAMES, type DeployStepName } from "../../src/pipeline/step-names.js";
import { takeOverDeadAttempt } from "../../src/recovery/take-over-dead-attempt.js";
import { createDeployment } from "../../src/store/deployments.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase, onServer } from "../helpers/databases.js";
import { waitFor } from "../helpers/wait-for.js";

// The policy branches of taking over a deploy whose worker died, on real rows in a real worker
// database: the attempt is dead because the test says so (test/reliability kills real workers).

const quiet = pino({ level: "silent" });
const MAX_ATTEMPTS = 5;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDb(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

/** A deployment of `project` recorded `running` at `attempt`, with `step` running. */
async function runningAt(project: string, attempt: number, step: DeployStepName): Promise<string> {
  const { id } = await createDeployment(db, {
    project,
    repoUrl: "/nowhere",
    ref: "main",
    trigger: "test",
    steps: DEPLOY_STEP_NAMES,
  });
  await db.deployment.update({ where: { id }, data: { status: "running", attempt } });
  const before = DEPLOY_STEP_NAMES.slice(0, DEPLOY_STEP_NAMES.indexOf(step));
  await db.deploymentStep.updateMany({
    where: { deploymentId: id, name: { in: before } },
    data: { status: "succeeded", attempt },
  });
  await db.deploymentStep.update({
    where: { deploymentId_name: { deploymentId: id, name: step } },
    data: { status: "running", attempt, startedAt: new Date() },
  });
  return id;
}

const takeOver = (id: string) =>
  takeOverDeadAttempt({ db, logger: quiet, maxAttempts: MAX_ATTEMPTS }, id);

const stepsOf = async (deploymentId: string) =>
  Object.fromEntries(
    (await db.deploymentStep.findMany({ where: { deploymentId } })).map((s) => [
      s.name,
      [s.status, s.errorCode ?? s.skipReason],
    ]),
  );

describe("taking over a dead attempt", () => {
  it("queues the deploy again while it has attempts left, and fails it after its last", async () => {
    const fourth = await runningAt("fourth", MAX_ATTEMPTS - 1, "install");
    expect(await takeOver(fourth)).toMatchObject({ outcome: "queued", interrupted: ["install"] });
    expect(await db.deployment.findUniqueOrThrow({ where: { id: fourth } })).toMatchObject({
      status: "queued",
      errorCode: null,
      finishedAt: null,
    });

    const last = await runningAt("last", MAX_ATTEMPTS, "install");
    expect(await takeOver(last)).toMatchObject({
      outcome: "failed",
      attempt: MAX_ATTEMPTS,
      interrupted: ["install"],
    });
    const row = await db.deployment.findUniqueOrThrow({ where: { id: last } });
    expect(row).toMatchObject({ status: "failed", errorCode: "WORKER_INTERRUPTED" });
    expect(row.finishedAt).not.toBeNull();
    expect(row.warnings).toEqual([
      `attempt ${MAX_ATTEMPTS} was interrupted at install (WORKER_INTERRUPTED): its worker stopped without finishing it; no attempts left of ${MAX_ATTEMPTS}`,
    ]);
    expect(await stepsOf(last)).toEqual({
      provision: ["succeeded", null],
      checkout: ["succeeded", null],
      install: ["interrupted", "WORKER_INTERRUPTED"],
      build: ["skipped", "not run: the worker stopped"],
      schema: ["skipped", "not run: the worker stopped"],
      start: ["skipped", "not run: the worker stopped"],
    });
    // Ended: a second look finds nothing to take over.
    expect(await takeOver(last)).toBeNull();
  });

  it("records succeeded when the dead attempt's release had gone live, even on its last attempt", async () => {
    const id = await runningAt("went-live", MAX_ATTEMPTS, "start");
    const { projectId } = await db.deployment.findUniqueOrThrow({ where: { id } });
    await db.project.update({ where: { id: projectId }, data: { liveDeploymentId: id } });

    expect(await takeOver(id)).toMatchObject({ outcome: "succeeded", interrupted: ["start"] });
    const row = await db.deployment.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "succeeded", errorCode: null });
    expect(row.finishedAt).not.toBeNull();
    expect(row.warnings).toEqual([
      `attempt ${MAX_ATTEMPTS}'s worker stopped after its release went live; the deploy is complete`,
    ]);
    expect((await stepsOf(id)).start).toEqual(["succeeded", null]);
  });

  it("loses the race to a worker that took the deploy over first, and writes nothing", async () => {
    const id = await runningAt("race", 1, "provision");
    // Another worker's take-over, not yet committed: it holds the row and moves it to attempt 2.
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`UPDATE "Deployment" SET attempt = 2 WHERE id = $1`, [id]);
      const ours = takeOver(id);
      // Ours read the row as attempt 1's and now waits for the other's lock to write it.
      const name = new URL(database.url).pathname.slice(1);
      await waitFor(
        "our take-over to wait for the row",
        () =>
          onServer(async (c) => {
            const { rowCount } = await c.query(
              "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
              [name],
            );
            return rowCount! > 0;
          }),
        30_000,
      );
      await other.query("COMMIT");
      expect(await ours).toBeNull();
    } finally {
      await other.end();
    }
    const row = await db.deployment.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: "running", attempt: 2, warnings: [], errorCode: null });
    expect((await stepsOf(id)).provision).toEqual(["running", null]);
  });
});
