import { latestFailedDeployments } from "../../src/deploys/latest-failed.js";
import { pruneStepLogs } from "../../src/housekeeping/prune-step-logs.js";
import { listDeploymentRecords } from "../../src/store/deployment-record.js";
import { latestDeploymentPerProject } from "../../src/store/latest-deployments.js";
import type { Db } from "../../src/store/prisma.js";
import { connectTestDatabase } from "../helpers/databases.js";

// The operator-facing reads rewritten to cost what they show, not the history (issue 25), give
// the answers their earlier forms gave: each earlier form is kept here, verbatim in what it
// asks, and both run over the same rows.

/** Before: every project with all its deployments, the newest picked by Prisma's nested take. */
async function oldLatestPerProject(db: Db, project?: string) {
  const projects = await db.project.findMany({
    where: project ? { slug: project } : {},
    orderBy: { slug: "asc" },
    select: {
      slug: true,
      deployments: {
        orderBy: { queuedAt: "desc" },
        take: 1,
        select: {
          id: true,
          status: true,
          errorCode: true,
          finishedAt: true,
          steps: { where: { status: "failed" }, select: { name: true } },
        },
      },
    },
  });
  return projects.flatMap((p) =>
    p.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      errorCode: d.errorCode,
      finishedAt: d.finishedAt,
      project: p.slug,
      failedStep: d.steps[0]?.name ?? null,
    })),
  );
}

async function oldLatestFailed(db: Db, filter: { project?: string; code?: string; since?: Date }) {
  const latest = await oldLatestPerProject(db, filter.project);
  return latest.filter(
    (d) =>
      d.status === "failed" &&
      (filter.code === undefined || d.errorCode === filter.code) &&
      (filter.since === undefined || (d.finishedAt !== null && d.finishedAt >= filter.since)),
  );
}

/** Before: the project filter through the relation. */
async function oldList(
  db: Db,
  filter: { status?: "failed"; project?: string; errorCode?: string; limit: number },
) {
  const found = await db.deployment.findMany({
    where: {
      ...(filter.status && { status: filter.status }),
      ...(filter.project && { project: { slug: filter.project } }),
      ...(filter.errorCode && { errorCode: filter.errorCode }),
    },
    orderBy: { queuedAt: "desc" },
    take: filter.limit,
    select: { id: true },
  });
  return found.map((d) => d.id);
}

/** Before: every step ended before the cutoff with a stored log, not of a live deployment. */
async function oldDueLogs(db: Db, olderThan: Date) {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT s.id FROM "DeploymentStep" s
    WHERE coalesce(s."finishedAt", s."startedAt") < ${olderThan}
      AND EXISTS (SELECT 1 FROM "StepLogChunk" l WHERE l."stepId" = s.id)
      AND NOT EXISTS (SELECT 1 FROM "Project" p WHERE p."liveDeploymentId" = s."deploymentId")`;
  return rows.map((r) => r.id).sort();
}

const T0 = new Date("2026-11-01T12:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let database: Awaited<ReturnType<typeof connectTestDatabase>>;
let db: Db;
/** Deployment ids by name, for the expectations. */
const ids: Record<string, string> = {};

async function deployment(
  name: string,
  project: string,
  minute: number,
  status: "succeeded" | "failed" | "superseded" | "queued" | "cancelled",
  options: { code?: string; failedStep?: string; logs?: boolean; finished?: number | null } = {},
) {
  const { id: projectId } = await db.project.upsert({
    where: { slug: project },
    create: { slug: project },
    update: {},
  });
  const finishedMinute = options.finished === undefined ? minute + 2 : options.finished;
  const created = await db.deployment.create({
    data: {
      projectId,
      repoUrl: "/r",
      ref: "main",
      status,
      errorCode: options.code ?? null,
      queuedAt: at(minute),
      startedAt: at(minute + 1),
      finishedAt: finishedMinute === null ? null : at(finishedMinute),
      steps: {
        create: ["provision", "checkout", "install", "build"].map((step, position) => ({
          name: step,
          position,
          status:
            step === options.failedStep
              ? "failed"
              : options.failedStep && position > 2
                ? "skipped"
                : "succeeded",
          startedAt: at(minute + 1),
          finishedAt: finishedMinute === null ? null : at(finishedMinute),
        })),
      },
    },
    include: { steps: true },
  });
  ids[name] = created.id;
  if (options.logs) {
    for (const step of created.steps) {
      await db.stepLogChunk.createMany({
        data: [
          {
            stepId: step.id,
            firstSeq: 0,
            lastSeq: 1,
            at: at(minute + 1),
            streams: "oo",
            lines: "a\nb",
          },
          {
            stepId: step.id,
            firstSeq: 2,
            lastSeq: 2,
            at: at(minute + 2),
            streams: "e",
            lines: "c",
          },
        ],
      });
    }
  }
  return created;
}

beforeAll(async () => {
  database = await connectTestDatabase();
  db = database.db;
  // alpha: failed last, after an older success.
  await deployment("alpha-ok", "alpha", 0, "succeeded", { logs: true });
  await deployment("alpha-bad", "alpha", 10, "failed", {
    code: "BUILD_FAILED",
    failedStep: "build",
    logs: true,
  });
  // bravo: failed, then succeeded: its newest is not failed, nothing to retry.
  await deployment("bravo-bad", "bravo", 5, "failed", {
    code: "BUILD_FAILED",
    failedStep: "build",
  });
  await deployment("bravo-ok", "bravo", 20, "succeeded", { logs: true });
  // charlie: failed, then a newer deploy superseded while queued (its newest).
  await deployment("charlie-bad", "charlie", 3, "failed", {
    code: "INSTALL_FAILED",
    failedStep: "install",
  });
  await deployment("charlie-superseded", "charlie", 30, "superseded", { finished: 31 });
  // delta: two deployments queued in the same millisecond, both failed, different codes.
  await deployment("delta-1", "delta", 40, "failed", { code: "BUILD_FAILED", failedStep: "build" });
  await deployment("delta-2", "delta", 40, "failed", {
    code: "PORT_IN_USE",
    failedStep: "install",
  });
  // echo: failed without a code, long ago, with logs; foxtrot: still queued; golf: no deployment.
  await deployment("echo-bad", "echo", 1, "failed", { failedStep: "install", logs: true });
  await deployment("foxtrot-q", "foxtrot", 50, "queued", { finished: null });
  await db.project.create({ data: { slug: "golf" } });
  // bravo's success is live: its logs stay.
  await db.project.update({
    where: { slug: "bravo" },
    data: { liveDeploymentId: ids["bravo-ok"] },
  });
});
afterAll(async () => {
  await database?.close();
});

describe("each project's newest deployment (retry --all-failed)", () => {
  it("is what the read of every deployment found, ties aside", async () => {
    const before = await oldLatestPerProject(db);
    const after = await latestDeploymentPerProject(db);
    const withoutTies = (rows: typeof before) => rows.filter((r) => r.project !== "delta");
    expect(withoutTies(after)).toEqual(withoutTies(before));
    expect(after.map((r) => r.project)).toEqual([
      "alpha",
      "bravo",
      "charlie",
      "delta",
      "echo",
      "foxtrot",
    ]);
    // Two queued in the same millisecond: either is the newest; the query always picks the
    // greater id, so two runs agree.
    const tie = after.find((r) => r.project === "delta")!;
    const tied = [ids["delta-1"]!, ids["delta-2"]!].sort();
    expect(tie.id).toBe(tied[1]);
    expect(tied).toContain(before.find((r) => r.project === "delta")!.id);
  });

  it.each([
    [{}],
    [{ code: "BUILD_FAILED" }],
    [{ code: "INSTALL_FAILED" }],
    [{ project: "alpha" }],
    [{ project: "bravo" }],
    [{ project: "charlie" }],
    [{ project: "nobody" }],
    [{ since: at(5) }],
    [{ since: at(13) }],
    [{ code: "BUILD_FAILED", since: at(0), project: "alpha" }],
  ])("keeps the failed ones the filter %j kept", async (filter) => {
    const before = (await oldLatestFailed(db, filter)).filter((r) => r.project !== "delta");
    const after = (await latestFailedDeployments(db, filter)).filter((r) => r.project !== "delta");
    expect(after).toEqual(before);
  });

  it("leaves a project whose newest is a success or a superseded deploy alone", async () => {
    const failed = await latestFailedDeployments(db, {});
    expect(failed.map((f) => [f.project, f.failedStep, f.errorCode])).toEqual([
      ["alpha", "build", "BUILD_FAILED"],
      ["delta", expect.any(String), expect.any(String)],
      ["echo", "install", null],
    ]);
  });
});

describe("deployments list", () => {
  it.each([
    [{ limit: 3 }],
    [{ limit: 50 }],
    [{ project: "alpha", limit: 50 }],
    [{ project: "charlie", limit: 1 }],
    [{ project: "nobody", limit: 50 }],
    [{ status: "failed" as const, limit: 50 }],
    [{ status: "failed" as const, errorCode: "BUILD_FAILED", limit: 50 }],
    [{ status: "failed" as const, project: "bravo", limit: 50 }],
  ])("lists what the relation filter listed for %j", async (filter) => {
    const before = await oldList(db, filter);
    const after = (await listDeploymentRecords(db, filter)).map((r) => r.id);
    // Ties in queuedAt (delta's two) come in either order, before as now.
    const set = (list: string[]) => [...list].sort();
    expect(set(after)).toEqual(set(before));
  });
});

describe("prune-logs", () => {
  it.each([at(0), at(4), at(12), at(100)])(
    "finds the steps the join of every step found, cutoff %s, and deletes their logs whole",
    async (cutoff) => {
      const due = await oldDueLogs(db, cutoff);
      const dry = await pruneStepLogs(db, cutoff, { dryRun: true });
      const lines = await db.$queryRaw<Array<{ lines: number }>>`
        SELECT coalesce(sum("lastSeq" - "firstSeq" + 1), 0)::int AS lines
        FROM "StepLogChunk" WHERE "stepId" = ANY(${due}::uuid[])`;
      expect({ steps: dry.steps, lines: dry.lines }).toEqual({
        steps: due.length,
        lines: lines[0]!.lines,
      });
    },
  );

  it("deletes down to the cutoff, and the live deployment's logs stay", async () => {
    const cutoff = at(100);
    const due = await oldDueLogs(db, cutoff);
    expect(due.length).toBeGreaterThan(0);
    const done = await pruneStepLogs(db, cutoff);
    expect(done.steps).toBe(due.length);
    expect(await oldDueLogs(db, cutoff)).toEqual([]);
    const kept = await db.stepLogChunk.count({
      where: { step: { deploymentId: ids["bravo-ok"] } },
    });
    expect(kept).toBe(8);
    expect(await pruneStepLogs(db, cutoff)).toMatchObject({ steps: 0, lines: 0 });
  });
});
