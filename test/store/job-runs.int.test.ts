import { randomUUID } from "node:crypto";
import { finishJobRun, listJobRuns, recordJobRun, startJobRun } from "../../src/store/job-runs.js";
import type { Db } from "../../src/store/prisma.js";
import { connectTestDatabase } from "../helpers/databases.js";

let db: Db;
let closeDatabase: () => Promise<void>;

beforeAll(async () => {
  ({ db, close: closeDatabase } = await connectTestDatabase());
});
afterAll(async () => {
  await closeDatabase?.();
});

describe("job runs", () => {
  it("records a run from running to succeeded with its summary", async () => {
    const projectId = randomUUID();
    const id = await startJobRun(db, { name: "backup", projectId, requestedBy: "cli" });
    const running = await db.jobRun.findUniqueOrThrow({ where: { id } });
    expect(running).toMatchObject({ status: "running", finishedAt: null, projectId });

    await finishJobRun(db, id, { status: "succeeded", summary: { bytes: 42 } });
    const done = await db.jobRun.findUniqueOrThrow({ where: { id } });
    expect(done).toMatchObject({ status: "succeeded", summary: { bytes: 42 }, error: null });
    expect(done.finishedAt!.getTime()).toBeGreaterThanOrEqual(done.startedAt.getTime());
  });

  it("records a failed run with its error and rethrows it", async () => {
    await expect(
      recordJobRun(db, { name: "prune-logs", requestedBy: "schedule" }, async () => {
        throw new Error("disk on fire");
      }),
    ).rejects.toThrow("disk on fire");
    const [run] = await listJobRuns(db, { name: "prune-logs" });
    expect(run).toMatchObject({ status: "failed", error: "disk on fire" });
    expect(run?.finishedAt).not.toBeNull();
  });
});
