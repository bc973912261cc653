import { claimDeployment, createDeployment } from "../../src/store/deployments.js";
import type { Db } from "../../src/store/prisma.js";
import {
  advanceCursor,
  type DeploymentLogLine,
  type LogCursor,
  readDeploymentLogs,
} from "../../src/store/read-deployment-logs.js";
import { appendLogLines, countLogLines } from "../../src/store/step-log-lines.js";
import { connectTestDatabase } from "../helpers/databases.js";

// A step's log is stored a write at a time (StepLogChunk): readers still get it line by line,
// from any cursor, in pages of any size, and nothing twice.

let db: Db;
let closeDatabase: () => Promise<void>;
let deploymentId: string;
let attempt: number;
let steps: Record<string, string>;

beforeAll(async () => {
  ({ db, close: closeDatabase } = await connectTestDatabase());
});
afterAll(async () => {
  await closeDatabase?.();
});
beforeEach(async () => {
  ({ id: deploymentId } = await createDeployment(db, {
    project: "log-reader",
    repoUrl: "/x",
    ref: "main",
    trigger: "test",
    steps: ["install", "build"],
  }));
  const rows = await db.deploymentStep.findMany({ where: { deploymentId } });
  steps = Object.fromEntries(rows.map((s) => [s.name, s.id]));
  ({ attempt } = (await claimDeployment(db, deploymentId))!);
});

/** Stores `count` lines of `step` from `firstSeq`, in writes of `perWrite` lines. */
async function store(step: string, firstSeq: number, count: number, perWrite: number, at?: Date) {
  for (let seq = firstSeq; seq < firstSeq + count; seq += perWrite) {
    const n = Math.min(perWrite, firstSeq + count - seq);
    await appendLogLines(
      db,
      { deploymentId, attempt, stepId: steps[step]! },
      {
        firstSeq: seq,
        at: at ?? new Date(),
        lines: Array.from({ length: n }, (_, i) => ({
          stream: (seq + i) % 3 === 0 ? "stderr" : "stdout",
          line: `${step} ${seq + i}`,
        })),
      },
    );
  }
}

const text = (lines: DeploymentLogLine[]) => lines.map((l) => `${l.step} ${l.seq}`);
const expected = (step: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${step} ${from + i}`);

/** Reads the whole log in pages of `limit`, as the CLI and the live view do. */
async function readAll(limit: number, cursor: LogCursor = {}) {
  const all: DeploymentLogLine[] = [];
  for (;;) {
    const page = await readDeploymentLogs(db, deploymentId, { cursor, limit });
    all.push(...page);
    cursor = advanceCursor(cursor, page);
    if (page.length < limit) return all;
  }
}

it("reads every line once, in step order, whatever the page and write sizes", async () => {
  // 120 writes of install then 101 of build: a query's worth of chunks spans both steps.
  await store("install", 0, 240, 2);
  await store("build", 0, 1000, 10);
  await store("build", 1000, 234, 234);
  for (const limit of [7, 1000, 5000]) {
    expect(text(await readAll(limit))).toEqual([
      ...expected("install", 0, 240),
      ...expected("build", 0, 1234),
    ]);
  }
  const [first] = await readDeploymentLogs(db, deploymentId, { limit: 1 });
  expect(first).toMatchObject({ step: "install", seq: 0, stream: "stderr", line: "install 0" });
});

it("starts after the cursor, also in the middle of a write", async () => {
  await store("install", 0, 10, 10);
  await store("build", 0, 10, 4);
  const lines = await readAll(3, { install: 6, build: 4 });
  expect(text(lines)).toEqual([...expected("install", 7, 10), ...expected("build", 5, 10)]);
});

it("reads one step's lines, and leaves out those written before `since`", async () => {
  await store("install", 0, 5, 5, new Date("2026-01-01T00:00:00Z"));
  await store("install", 5, 5, 5, new Date("2026-01-02T00:00:00Z"));
  await store("build", 0, 3, 3, new Date("2026-01-02T00:00:00Z"));
  const build = await readDeploymentLogs(db, deploymentId, { step: "build" });
  expect(text(build)).toEqual(expected("build", 0, 3));
  const since = await readDeploymentLogs(db, deploymentId, {
    since: new Date("2026-01-01T12:00:00Z"),
  });
  expect(text(since)).toEqual([...expected("install", 5, 10), ...expected("build", 0, 3)]);
});

it("counts the stored lines, not the rows", async () => {
  await store("install", 0, 1001, 100);
  expect(await countLogLines(db, { stepId: steps.install! })).toBe(1001);
  expect(await countLogLines(db, { stepId: steps.build! })).toBe(0);
  expect(await db.stepLogChunk.count({ where: { stepId: steps.install! } })).toBe(11);
});
