import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { latestFailedDeployments, latestFailedIds } from "../../src/deploys/latest-failed.js";
import { createDeployment } from "../../src/store/deployments.js";
import {
  type LatestFilter,
  latestDeploymentPerProject,
  latestFailedIdsSql,
} from "../../src/store/latest-deployments.js";
import type { Db } from "../../src/store/prisma.js";
import { connectTestDatabase, databaseUrl, onServer } from "../helpers/databases.js";

// Each project's newest deployment is flagged `latest` by triggers (migration
// 20261207020000_latest_deployment), and `retry --all-failed` reads the flag: whatever is
// written, in whatever order, the flag must name what a read of every deployment finds. The
// earlier form of the read (one LATERAL … LIMIT 1 per project) is the oracle here.

const MIGRATIONS = path.resolve("prisma/migrations");
const LATEST = "20261207020000_latest_deployment";

/** Before: per project, one step down the (projectId, queuedAt) index. */
async function oracle(db: Db, filter: LatestFilter = {}) {
  const rows = await db.$queryRaw<
    Array<{
      project: string;
      id: string;
      status: string;
      errorCode: string | null;
      finishedAt: Date | null;
      failedStep: string | null;
    }>
  >`
    SELECT p.slug AS project, d.id, d.status, d."errorCode", d."finishedAt",
           (SELECT s.name FROM "DeploymentStep" s
            WHERE s."deploymentId" = d.id AND s.status = 'failed'
            ORDER BY s.position LIMIT 1) AS "failedStep"
    FROM "Project" p
    CROSS JOIN LATERAL (
      SELECT id, status, "errorCode", "finishedAt" FROM "Deployment"
      WHERE "projectId" = p.id
      ORDER BY "queuedAt" DESC, id DESC
      LIMIT 1
    ) d
    ORDER BY p.slug`;
  return rows.filter(
    (d) =>
      (filter.project === undefined || d.project === filter.project) &&
      (filter.status === undefined || d.status === filter.status) &&
      (filter.errorCode === undefined || d.errorCode === filter.errorCode) &&
      (filter.finishedSince === undefined ||
        (d.finishedAt !== null && d.finishedAt >= filter.finishedSince)),
  );
}

/** The flags as stored: every project's flagged deployment, and how many each has. */
async function flagged(db: Db) {
  return db.$queryRaw<Array<{ project: string; id: string; count: number }>>`
    SELECT p.slug AS project, min(d.id::text) AS id, count(*)::int AS count
    FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
    WHERE d."latest" GROUP BY p.slug ORDER BY p.slug`;
}

/** The flags agree with the oracle for every project, one each, and every filter gives its answer. */
async function expectFlagsRight(db: Db) {
  const truth = await oracle(db);
  expect(await flagged(db)).toEqual(truth.map((d) => ({ project: d.project, id: d.id, count: 1 })));
  expect(await latestDeploymentPerProject(db)).toEqual(truth);
  const failed = await oracle(db, { status: "failed" });
  expect(await latestDeploymentPerProject(db, { status: "failed" })).toEqual(failed);
  // What retry --all-failed retries: the same deployments, in the same order, by id.
  expect(await latestFailedIds(db, {})).toEqual(failed.map((d) => d.id));
}

const T0 = new Date("2026-11-01T12:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
/** A uuid whose order is its number's: ties in time are then broken where the test says. */
const idOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

let database: Awaited<ReturnType<typeof connectTestDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await connectTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.close();
});

let serial = 1;
async function record(
  project: string,
  minute: number,
  status: "succeeded" | "failed" | "superseded" | "queued" | "running",
  options: { id?: string; code?: string; failedStep?: string } = {},
) {
  const { id: projectId } = await db.project.upsert({
    where: { slug: project },
    create: { slug: project },
    update: {},
  });
  const created = await db.deployment.create({
    data: {
      id: options.id ?? idOf(1_000_000 + serial++),
      projectId,
      repoUrl: "/r",
      ref: "main",
      status,
      errorCode: options.code ?? null,
      queuedAt: at(minute),
      finishedAt: status === "queued" || status === "running" ? null : at(minute + 2),
      steps: {
        create: ["provision", "checkout", "install", "build"].map((name, position) => ({
          name,
          position,
          status: name === options.failedStep ? "failed" : "succeeded",
        })),
      },
    },
  });
  return created.id;
}

const failedProjects = async (filter = {}) =>
  (await latestFailedDeployments(db, filter)).map((d) => d.project);

describe("the newest deployment's flag", () => {
  it("stays on the newest when an older one is recorded after it", async () => {
    const newer = await record("order", 20, "failed", {
      code: "BUILD_FAILED",
      failedStep: "build",
    });
    const older = await record("order", 10, "succeeded");
    const rows = await db.deployment.findMany({
      where: { id: { in: [newer, older] } },
      select: { id: true, latest: true },
    });
    expect(Object.fromEntries(rows.map((r) => [r.id, r.latest]))).toEqual({
      [newer]: true,
      [older]: false,
    });
    expect(await failedProjects({ project: "order" })).toEqual(["order"]);
    await expectFlagsRight(db);
  });

  it("breaks ties in time by the greater id, whichever is recorded first", async () => {
    // Greater id first, then the lesser in the same millisecond: the flag stays.
    await record("tie-a", 30, "failed", {
      id: idOf(20),
      code: "BUILD_FAILED",
      failedStep: "build",
    });
    await record("tie-a", 30, "succeeded", { id: idOf(10) });
    // Lesser first, then the greater: the flag moves.
    await record("tie-b", 30, "failed", {
      id: idOf(11),
      code: "BUILD_FAILED",
      failedStep: "build",
    });
    await record("tie-b", 30, "succeeded", { id: idOf(21) });
    const newest = await latestDeploymentPerProject(db, { project: "tie-a" });
    expect(newest.map((d) => [d.id, d.status])).toEqual([[idOf(20), "failed"]]);
    const other = await latestDeploymentPerProject(db, { project: "tie-b" });
    expect(other.map((d) => [d.id, d.status])).toEqual([[idOf(21), "succeeded"]]);
    expect(await failedProjects({ project: "tie-a" })).toEqual(["tie-a"]);
    expect(await failedProjects({ project: "tie-b" })).toEqual([]);
    await expectFlagsRight(db);
  });

  it("follows the newest's status: listed once it fails, not once it runs again", async () => {
    const id = await record("status", 40, "running");
    expect(await failedProjects({ project: "status" })).toEqual([]);
    await db.deployment.update({
      where: { id },
      data: { status: "failed", errorCode: "INSTALL_FAILED", finishedAt: at(45) },
    });
    expect(await latestFailedDeployments(db, { project: "status" })).toEqual([
      {
        project: "status",
        id,
        status: "failed",
        errorCode: "INSTALL_FAILED",
        finishedAt: at(45),
        failedStep: null,
      },
    ]);
    // A worker taking over a dead attempt queues it again.
    await db.deployment.update({ where: { id }, data: { status: "queued" } });
    expect(await failedProjects({ project: "status" })).toEqual([]);
    await expectFlagsRight(db);
  });

  it("leaves a failed deployment alone once a newer deploy is recorded: queued, then superseded", async () => {
    const failed = await record("super", 50, "failed", {
      code: "BUILD_FAILED",
      failedStep: "build",
    });
    expect(await failedProjects({ project: "super" })).toEqual(["super"]);
    // Recorded as a push records it (the project's row locked first), then superseded by the next.
    const first = await createDeployment(db, {
      project: "super",
      repoUrl: "/r",
      ref: "main",
      trigger: "webhook",
      steps: ["provision", "build"],
    });
    expect(await failedProjects({ project: "super" })).toEqual([]);
    const second = await createDeployment(db, {
      project: "super",
      repoUrl: "/r",
      ref: "main",
      trigger: "webhook",
      steps: ["provision", "build"],
    });
    expect(second.superseded).toEqual([first.id]);
    const [newest] = await latestDeploymentPerProject(db, { project: "super" });
    expect(newest).toMatchObject({ id: second.id, status: "queued" });
    expect(newest!.id).not.toBe(failed);
    await expectFlagsRight(db);
  });

  it("has one newest per project when pushes of one project are recorded at once", async () => {
    const recorded = await Promise.all(
      Array.from({ length: 8 }, () =>
        createDeployment(db, {
          project: "burst",
          repoUrl: "/r",
          ref: "main",
          trigger: "webhook",
          steps: ["provision"],
        }),
      ),
    );
    const [newest] = await latestDeploymentPerProject(db, { project: "burst" });
    // The newest by queuedAt (each push's time is taken before it waits for the project's
    // lock, so it may not be the last recorded, and may have been superseded by it).
    expect(recorded.map((r) => r.id)).toContain(newest!.id);
    await expectFlagsRight(db);
  });

  it("has one newest per project when rows are inserted at once without the project's lock", async () => {
    const { id: projectId } = await db.project.create({ data: { slug: "raw-burst" } });
    const [{ name }] = await db.$queryRaw<
      [{ name: string }]
    >`SELECT current_database()::text AS name`;
    const url = databaseUrl(name);
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query("BEGIN");
          await client.query(
            `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref, "queuedAt")
             VALUES ($1, $2, '/r', 'main', $3)`,
            [idOf(500 + i), projectId, at(60 + (i % 3))],
          );
          await new Promise((resolve) => setTimeout(resolve, 20));
          await client.query("COMMIT");
        } finally {
          await client.end();
        }
      }),
    );
    const [newest] = await latestDeploymentPerProject(db, { project: "raw-burst" });
    expect(newest!.id).toBe(idOf(505));
    await expectFlagsRight(db);
  });

  it("passes to the next newest when the newest is deleted, and goes with its project", async () => {
    const kept = await record("gone", 70, "failed", { code: "BUILD_FAILED", failedStep: "build" });
    const newest = await record("gone", 80, "succeeded");
    expect(await failedProjects({ project: "gone" })).toEqual([]);
    await db.deployment.delete({ where: { id: newest } });
    const [now] = await latestFailedDeployments(db, { project: "gone" });
    expect(now).toMatchObject({ id: kept, failedStep: "build" });
    // Deleting an older one leaves the flag where it is.
    await record("gone", 75, "succeeded");
    const older = await record("gone", 60, "succeeded");
    await db.deployment.delete({ where: { id: older } });
    await expectFlagsRight(db);
    // The project deleted: its deployments go with it (the trigger finds no project to lock).
    await db.project.delete({ where: { slug: "gone" } });
    expect(await latestDeploymentPerProject(db, { project: "gone" })).toEqual([]);
    await expectFlagsRight(db);
  });

  it("is elected again when a deployment's time or project is changed by hand", async () => {
    const a = await record("moved-a", 90, "failed", { code: "BUILD_FAILED", failedStep: "build" });
    const b = await record("moved-a", 91, "succeeded");
    expect(await failedProjects({ project: "moved-a" })).toEqual([]);
    await db.deployment.update({ where: { id: a }, data: { queuedAt: at(95) } });
    expect(await failedProjects({ project: "moved-a" })).toEqual(["moved-a"]);
    const { id: other } = await db.project.create({ data: { slug: "moved-b" } });
    await db.deployment.update({ where: { id: a }, data: { projectId: other } });
    expect((await latestDeploymentPerProject(db, { project: "moved-a" }))[0]!.id).toBe(b);
    expect((await latestDeploymentPerProject(db, { project: "moved-b" }))[0]!.id).toBe(a);
    await expectFlagsRight(db);
  });

  it.each<[LatestFilter]>([
    [{}],
    [{ status: "failed" }],
    [{ status: "succeeded" }],
    [{ status: "queued" }],
    [{ status: "failed", errorCode: "BUILD_FAILED" }],
    [{ status: "failed", finishedSince: at(45) }],
    [{ project: "tie-a" }],
    [{ project: "nobody" }],
  ])("gives what the read of every project gave for %j", async (filter) => {
    expect(await latestDeploymentPerProject(db, filter)).toEqual(await oracle(db, filter));
  });

  it.each<[Parameters<typeof latestFailedIds>[1]]>([
    [{}],
    [{ code: "BUILD_FAILED" }],
    [{ code: "INSTALL_FAILED" }],
    [{ since: at(45) }],
    [{ project: "tie-a" }],
    [{ project: "nobody" }],
    [{ code: "BUILD_FAILED", since: at(0), project: "tie-a" }],
  ])(
    "lists for retry --all-failed the deployments the full read lists for %j, in its order",
    async (filter) => {
      const full = await latestFailedDeployments(db, filter);
      expect(await latestFailedIds(db, filter)).toEqual(full.map((d) => d.id));
    },
  );

  it("takes a filter's quotes as text, not SQL", async () => {
    expect(await latestFailedIds(db, {})).not.toEqual([]);
    expect(await latestFailedIds(db, { project: "x' OR TRUE --" })).toEqual([]);
    expect(await latestFailedIds(db, { code: "x' OR TRUE --" })).toEqual([]);
  });

  it.each<[Parameters<typeof latestFailedIdsSql>[0]]>([
    [{}],
    [{ errorCode: "BUILD_FAILED" }],
    [{ finishedSince: at(45) }],
    [{ errorCode: "BUILD_FAILED", finishedSince: at(0), project: "tie-a" }],
  ])(
    "reads the index alone for retry --all-failed, no row of Deployment, for %j",
    async (filter) => {
      // Vacuumed, as autovacuum leaves a table: every page all-visible. The plans the planner
      // would prefer on a table this small (a sequential or bitmap scan) are ruled out: what is
      // proved is that the partial index holds every column the statement needs.
      await db.$executeRawUnsafe(`VACUUM (ANALYZE) "Deployment"`);
      const sql = latestFailedIdsSql(filter);
      const [{ "QUERY PLAN": plan }] = await db.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
        await tx.$executeRawUnsafe("SET LOCAL enable_bitmapscan = off");
        return tx.$queryRawUnsafe<[{ "QUERY PLAN": unknown }]>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${sql.text}`,
          ...sql.values,
        );
      });
      const scans = nodes(plan).filter((node) => node["Relation Name"] === "Deployment");
      expect(scans).toEqual([
        expect.objectContaining({
          "Node Type": "Index Only Scan",
          "Index Name": "Deployment_latest_failed_idx",
          "Heap Fetches": 0,
        }),
      ]);
    },
  );

  it("refuses a status that is not a deployment status", async () => {
    await expect(
      latestDeploymentPerProject(db, { status: "failed' OR TRUE --" as "failed" }),
    ).rejects.toThrow("not a deployment status");
  });
});

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function nodes(plan: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (node: Record<string, unknown>) => {
    out.push(node);
    for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? [])
      walk(child);
  };
  for (const top of plan as Array<{ Plan: Record<string, unknown> }>) walk(top.Plan);
  return out;
}

describe("the migration", () => {
  it("flags each project's newest of the history already recorded, ties by the greater id, then keeps it", async () => {
    const name = `coduck_test_migration_${randomBytes(4).toString("hex")}`;
    await onServer((c) => c.query(`CREATE DATABASE ${name}`));
    const client = new pg.Client({ connectionString: databaseUrl(name) });
    await client.connect();
    try {
      const all = (await readdir(MIGRATIONS, { withFileTypes: true }))
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
      const migration = (dir: string) =>
        readFile(path.join(MIGRATIONS, dir, "migration.sql"), "utf8");
      for (const dir of all.filter((d) => d < LATEST)) await client.query(await migration(dir));

      // p1: three in order; p2: recorded out of order; p3: a tie in time (the lesser id
      // recorded last); p4: one deployment; p5: none.
      const history: Array<[string, number, number]> = [
        ["p1", 1, 0],
        ["p1", 2, 5],
        ["p1", 3, 9],
        ["p2", 14, 20],
        ["p2", 12, 10],
        ["p2", 13, 30],
        ["p3", 22, 40],
        ["p3", 21, 40],
        ["p4", 31, 50],
      ];
      for (const slug of ["p1", "p2", "p3", "p4", "p5"]) {
        await client.query(
          `INSERT INTO "Project" (id, slug, "updatedAt") VALUES (gen_random_uuid(), $1, now())`,
          [slug],
        );
      }
      for (const [slug, n, minute] of history) {
        await client.query(
          `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref, status, "queuedAt")
           SELECT $1, id, '/r', 'main', 'failed', $3 FROM "Project" WHERE slug = $2`,
          [idOf(n), slug, at(minute)],
        );
      }

      // Applied as Prisma's runner applies it: statement by statement, split at each semicolon.
      const statements = (await migration(LATEST))
        .split(";")
        .map((s) => s.trim())
        .filter((s) => s.replace(/--.*$/gm, "").trim() !== "");
      for (const statement of statements) await client.query(statement);

      const flags = async () =>
        (
          await client.query(
            `SELECT p.slug, d.id FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
             WHERE d."latest" ORDER BY p.slug`,
          )
        ).rows.map((r) => [r.slug, r.id]);
      expect(await flags()).toEqual([
        ["p1", idOf(3)],
        ["p2", idOf(13)],
        ["p3", idOf(22)],
        ["p4", idOf(31)],
      ]);
      // Its triggers are in place: a newer deployment of p4 takes the flag.
      await client.query(
        `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref, "queuedAt")
         SELECT $1, id, '/r', 'main', $2 FROM "Project" WHERE slug = 'p4'`,
        [idOf(32), at(51)],
      );
      expect((await flags()).at(-1)).toEqual(["p4", idOf(32)]);
      // The indexes it promises: one newest per project, and the newest that failed.
      const indexes = await client.query(
        `SELECT indexname FROM pg_indexes WHERE tablename = 'Deployment' AND indexdef LIKE '%WHERE%latest%' ORDER BY 1`,
      );
      expect(indexes.rows.map((r) => r.indexname)).toEqual([
        "Deployment_latest_failed_idx",
        "Deployment_latest_projectId_key",
      ]);
      await expect(
        client.query(
          `UPDATE "Deployment" SET "latest" = true WHERE id = $1`, // a second newest of p1
          [idOf(2)],
        ),
      ).rejects.toThrow(/Deployment_latest_projectId_key/);
    } finally {
      await client.end();
      await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
});
