import { randomUUID } from "node:crypto";
import pg from "pg";
import {
  getDeploymentRecord,
  listDeploymentRecords,
  readDeploymentRecord,
} from "../../src/store/deployment-record.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase } from "../helpers/databases.js";

// `deploy --wait` reads the deployment it follows in plain SQL on a bare pool (it never loads
// Prisma): what it prints must be the record every other reader (Prisma's) makes.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDb(database.url);
  // A session time zone far from UTC: the stored times hold UTC whatever the session's.
  pool = new pg.Pool({ connectionString: database.url, options: "-c TimeZone=Pacific/Auckland" });
});
afterAll(async () => {
  await pool?.end();
  await db?.$disconnect();
  await database?.drop();
});

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 6, 0, s, 123 + s));

async function recordFixtures() {
  const project = await db.project.create({ data: { slug: `record-${Date.now()}` } });
  const failedId = randomUUID();
  const liveId = randomUUID();
  await db.deployment.create({
    data: {
      id: failedId,
      projectId: project.id,
      status: "failed",
      trigger: "webhook",
      repoUrl: "https://example.com/app.git",
      ref: "main",
      commitSha: "a".repeat(40),
      errorCode: "INSTALL_FAILED",
      hint: "the install failed",
      warnings: ["first warning", "second, with 'quotes' and \"more\""],
      sandbox: "bwrap",
      attempt: 2,
      requestedBy: "alice",
      queuedAt: at(0),
      startedAt: at(1),
      finishedAt: at(9),
    },
  });
  // Steps written out of order: the record lists them by position.
  await db.deploymentStep.createMany({
    data: [
      {
        deploymentId: failedId,
        name: "build",
        position: 2,
        status: "skipped",
        skipReason: "not run: install failed",
        finishedAt: at(9),
      },
      { deploymentId: failedId, name: "start", position: 3, status: "pending" },
      {
        deploymentId: failedId,
        name: "install",
        position: 1,
        status: "failed",
        command: "npm ci",
        exitCode: 1,
        signal: null,
        durationMs: 4321,
        errorCode: "INSTALL_FAILED",
        hint: "fix the lockfile",
        evidence: "npm ERR! missing: left-pad@1.3.0",
        evidenceLine: 17,
        logTail: "line 1\nnpm ERR! missing: left-pad@1.3.0\n",
        startedAt: at(3),
        finishedAt: at(8),
      },
      {
        deploymentId: failedId,
        name: "checkout",
        position: 0,
        status: "succeeded",
        command: "git fetch",
        exitCode: 0,
        durationMs: 12,
        startedAt: at(1),
        finishedAt: at(2),
      },
    ],
  });
  // The project's live release: a retry of the failed one, degraded, restarted by supervisord.
  await db.deployment.create({
    data: {
      id: liveId,
      projectId: project.id,
      status: "succeeded",
      repoUrl: "https://example.com/app.git",
      ref: "main",
      retryOfId: failedId,
      retryNumber: 1,
      fromStep: "install",
      rollbackToId: failedId,
      releasePort: 41234,
      releasePid: 999,
      releaseProgram: `release-${liveId}`,
      releaseUrl: "http://app.example.test",
      releaseStartedAt: at(20),
      releaseRestarts: 3,
      releaseLastExit: "exit status 1",
      releaseLastRestartAt: at(30),
      releaseCrashedAt: at(40),
      degradedAt: at(35),
      degradedCode: "INSTALL_FAILED",
      degradedEvidence: "Error: boom",
      queuedAt: at(10),
      startedAt: at(11),
      finishedAt: at(19),
      steps: { create: [{ name: "checkout", position: 0, status: "succeeded", durationMs: 5 }] },
    },
  });
  await db.project.update({ where: { id: project.id }, data: { liveDeploymentId: liveId } });
  // Queued, with no steps recorded.
  const bareId = randomUUID();
  await db.deployment.create({
    data: { id: bareId, projectId: project.id, repoUrl: "/srv/repo", ref: "v1", queuedAt: at(50) },
  });
  return { slug: project.slug, failedId, liveId, bareId };
}

describe("readDeploymentRecord", () => {
  it("makes the record Prisma's reader makes, on a bare pool and on Prisma's client", async () => {
    const ids = await recordFixtures();
    for (const id of [ids.failedId, ids.liveId, ids.bareId]) {
      const expected = await getDeploymentRecord(db, id);
      expect(expected).not.toBeNull();
      expect(await readDeploymentRecord(pool, id)).toEqual(expected);
      expect(await readDeploymentRecord(db, id)).toEqual(expected);
    }
    const failed = (await readDeploymentRecord(pool, ids.failedId))!;
    expect(failed.steps.map((s) => s.name)).toEqual(["checkout", "install", "build", "start"]);
    expect(failed.steps[1]).toMatchObject({
      status: "failed",
      errorCode: "INSTALL_FAILED",
      evidence: "npm ERR! missing: left-pad@1.3.0",
      evidenceLine: 17,
      startedAt: at(3).toISOString(),
    });
    const live = (await readDeploymentRecord(pool, ids.liveId))!;
    expect(live.release).toMatchObject({
      port: 41234,
      restarts: 3,
      crashedAt: at(40).toISOString(),
    });
    expect(live.degraded).toMatchObject({ code: "INSTALL_FAILED", at: at(35).toISOString() });
    expect((await readDeploymentRecord(pool, ids.bareId))!.steps).toEqual([]);
  });

  it("is null for a deployment that does not exist", async () => {
    expect(await readDeploymentRecord(pool, randomUUID())).toBeNull();
  });
});

describe("listDeploymentRecords", () => {
  it("lists the same records, newest first, filtered by status, project and code, on either connection", async () => {
    const ids = await recordFixtures();
    const other = await recordFixtures();
    const records = async (id: string) => (await getDeploymentRecord(db, id))!;
    for (const on of [pool, db]) {
      const mine = await listDeploymentRecords(on, { project: ids.slug, limit: 10 });
      expect(mine).toEqual([
        await records(ids.bareId),
        await records(ids.liveId),
        await records(ids.failedId),
      ]);
      expect(await listDeploymentRecords(on, { project: ids.slug, limit: 2 })).toEqual(
        mine.slice(0, 2),
      );
      const failed = await listDeploymentRecords(on, {
        status: "failed",
        errorCode: "INSTALL_FAILED",
        limit: 1000,
      });
      expect(failed.map((r) => r.id)).toEqual(
        expect.arrayContaining([ids.failedId, other.failedId]),
      );
      expect(failed.every((r) => r.status === "failed" && r.errorCode === "INSTALL_FAILED")).toBe(
        true,
      );
      const times = failed.map((r) => r.queuedAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(
        await listDeploymentRecords(on, { project: ids.slug, status: "succeeded", limit: 10 }),
      ).toEqual([await records(ids.liveId)]);
    }
  });

  it("takes a hostile filter as a value, never as SQL", async () => {
    const ids = await recordFixtures();
    for (const project of ["x' OR '1'='1", `${ids.slug}"; DROP TABLE "Deployment"; --`]) {
      expect(await listDeploymentRecords(pool, { project, limit: 10 })).toEqual([]);
    }
    expect(
      await listDeploymentRecords(pool, { project: ids.slug, errorCode: "' OR 1=1 --", limit: 10 }),
    ).toEqual([]);
    expect((await listDeploymentRecords(pool, { project: ids.slug, limit: 10 })).length).toBe(3);
  });
});
