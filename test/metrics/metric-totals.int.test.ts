import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { PROVISIONING_BOUNDS, STEP_BOUNDS } from "../../src/metrics/duration-metrics.js";
import { cumulativeSeries } from "../../src/metrics/row-histogram.js";
import { foldMetricDeltas, readMetricTotals } from "../../src/store/metric-totals.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase, databaseUrl, onServer } from "../helpers/databases.js";

// /metrics' deployment counts and duration histograms used to be counted from every row at
// each scrape; Postgres now keeps them as running totals (triggers, store/metric-totals.ts).
// These tests compute the old way and the new way over the same rows, through inserts, status
// changes, resets, deletions and a migration of an installation with history, and require the
// same numbers.

const MIGRATIONS = path.resolve("prisma/migrations");
const TOTALS_MIGRATION = "20261207000000_flat_cost_history";
const ms = (seconds: number[]) => seconds.map((s) => Math.round(s * 1000));

type Histogram = Record<string, { atOrBelow: number[]; count: number; sum: number }>;

/** The per-scrape queries /metrics ran before the totals, verbatim in what they count. */
async function oldWay(db: Db) {
  const byStatus = await db.deployment.groupBy({ by: ["status"], _count: { _all: true } });
  const byCode = await db.deployment.groupBy({
    by: ["errorCode"],
    where: { status: "failed" },
    _count: { _all: true },
  });
  type BucketRow = { step: string; status: string; bucket: number; count: number; sum: number };
  const steps = await db.$queryRaw<BucketRow[]>`
    SELECT name AS step, status::text AS status,
           width_bucket("durationMs" - 1, ${ms(STEP_BOUNDS)}::int[]) AS bucket,
           count(*)::int AS count, (sum("durationMs") / 1000.0)::float8 AS sum
    FROM "DeploymentStep"
    WHERE "durationMs" IS NOT NULL
    GROUP BY 1, 2, 3`;
  type ProvisionRow = { kind: string; bucket: number; count: number; sum: number };
  const provisions = await db.$queryRaw<ProvisionRow[]>`
    WITH provisions AS (
      SELECT s."durationMs" AS ms,
             -- Two provisions started at the same moment were ranked arbitrarily: now by id.
             row_number() OVER (PARTITION BY d."projectId" ORDER BY s."startedAt", s.id) AS nth
      FROM "DeploymentStep" s JOIN "Deployment" d ON d.id = s."deploymentId"
      WHERE s.name = 'provision' AND s.status = 'succeeded' AND s."durationMs" IS NOT NULL
    )
    SELECT CASE WHEN nth = 1 THEN 'first' ELSE 'repeat' END AS kind,
           width_bucket(ms - 1, ${ms(PROVISIONING_BOUNDS)}::int[]) AS bucket,
           count(*)::int AS count, (sum(ms) / 1000.0)::float8 AS sum
    FROM provisions
    GROUP BY 1, 2`;
  return {
    byStatus: Object.fromEntries(byStatus.map((r) => [r.status, r._count._all])),
    byCode: Object.fromEntries(byCode.map((r) => [r.errorCode ?? "UNKNOWN", r._count._all])),
    steps: histogram(
      STEP_BOUNDS,
      steps.map((r) => ({ ...r, labels: { step: r.step, status: r.status } })),
    ),
    provisions: histogram(
      PROVISIONING_BOUNDS,
      provisions.map((r) => ({ ...r, labels: { kind: r.kind } })),
    ),
  };
}

/** The same numbers from the running totals, as the metrics read them. */
async function newWay(db: Db, fold: boolean) {
  if (fold) await foldMetricDeltas(db);
  const deployments = await readMetricTotals(db, "deployments");
  const byStatus: Record<string, number> = {};
  const byCode: Record<string, number> = {};
  for (const row of deployments) {
    byStatus[row.labels.status!] = (byStatus[row.labels.status!] ?? 0) + row.count;
    if (row.labels.status === "failed")
      byCode[row.labels.code!] = (byCode[row.labels.code!] ?? 0) + row.count;
  }
  const series = async (metric: "step_duration" | "provisioning_duration", bounds: number[]) =>
    histogram(
      bounds,
      (await readMetricTotals(db, metric)).map((r) => ({ ...r, sum: r.sumMs / 1000 })),
    );
  return {
    byStatus,
    byCode,
    steps: await series("step_duration", STEP_BOUNDS),
    provisions: await series("provisioning_duration", PROVISIONING_BOUNDS),
  };
}

function histogram(
  bounds: number[],
  rows: Array<{ labels: Record<string, string>; bucket: number; count: number; sum: number }>,
): Histogram {
  return Object.fromEntries(
    cumulativeSeries(bounds, rows).map((s) => [
      JSON.stringify(Object.entries(s.labels).sort()),
      { atOrBelow: s.atOrBelow, count: s.count, sum: Math.round(s.sum * 1000) / 1000 },
    ]),
  );
}

async function expectSameNumbers(db: Db, fold = true) {
  const [before, after] = [await oldWay(db), await newWay(db, fold)];
  expect(after).toEqual(before);
  return before;
}

const STEPS = ["provision", "checkout", "install", "build", "schema", "start"];

/**
 * History as the worker leaves it: projects, deployments in every status (failed ones with and
 * without a code), six steps each with durations across every bucket, provision steps started
 * at the same moment in one project (a tie).
 */
async function recordHistory(client: pg.Client, prefix: string, deployments: number) {
  await client.query(
    `INSERT INTO "Project" (id, slug, "updatedAt")
     SELECT md5($1 || p)::uuid, $1 || '-' || p, now() FROM generate_series(1, 7) p`,
    [prefix],
  );
  await client.query(
    `INSERT INTO "Deployment" (id, "projectId", status, "errorCode", "repoUrl", ref, "queuedAt")
     SELECT md5($1 || 'd' || i)::uuid, md5($1 || (1 + i % 7))::uuid,
            (ARRAY['succeeded','failed','failed','cancelled','superseded','queued','running'])[1 + i % 7]::"DeploymentStatus",
            CASE WHEN i % 7 = 1 THEN (ARRAY['BUILD_FAILED', 'PORT_IN_USE', NULL])[1 + i % 3] END,
            '/r', 'main', timestamp '2026-11-01' + i * interval '1 minute'
     FROM generate_series(1, $2::int) i`,
    [prefix, deployments],
  );
  await client.query(
    `INSERT INTO "DeploymentStep" (id, "deploymentId", name, position, status, "durationMs", "startedAt")
     SELECT md5($1 || 's' || i || '-' || p)::uuid, md5($1 || 'd' || i)::uuid, ($3::text[])[p + 1], p,
            (ARRAY['succeeded','succeeded','failed','skipped','interrupted'])[1 + (i + p) % 5]::"StepStatus",
            CASE WHEN (i + p) % 9 = 0 THEN NULL ELSE ((i * 7919 + p * 104729) % 2000000) END,
            -- Ties: every provision of project 3 starts at the same moment.
            CASE WHEN p = 0 AND i % 7 = 2 THEN timestamp '2026-11-01'
                 ELSE timestamp '2026-11-01' + i * interval '1 minute' + p * interval '1 second' END
     FROM generate_series(1, $2::int) i, generate_series(0, 5) p`,
    [prefix, deployments, STEPS],
  );
}

describe("the running totals behind /metrics", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = connectDb(database.url);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.$disconnect();
    await database?.drop();
  });

  it("hold the histograms' bounds the metrics report (seconds here, milliseconds in SQL)", async () => {
    for (const [metric, bounds] of [
      ["step_duration", STEP_BOUNDS],
      ["provisioning_duration", PROVISIONING_BOUNDS],
    ] as const) {
      for (const [i, bound] of ms([...bounds]).entries()) {
        const { rows } = await client.query(
          "SELECT coduck_metric_bucket($1, $2) AS at, coduck_metric_bucket($1, $2 + 1) AS above",
          [metric, bound],
        );
        expect(rows[0]).toEqual({ at: i, above: i + 1 });
      }
    }
  });

  it("count what the per-scrape queries counted, through every kind of write", async () => {
    await recordHistory(client, "a", 300);
    // Read before any fold (deltas only), then folded.
    await expectSameNumbers(db, false);
    const numbers = await expectSameNumbers(db);
    expect(numbers.byCode).toEqual({ BUILD_FAILED: 14, PORT_IN_USE: 15, UNKNOWN: 57 });
    expect(Object.keys(numbers.provisions).sort()).toEqual([
      JSON.stringify([["kind", "first"]]),
      JSON.stringify([["kind", "repeat"]]),
    ]);

    // A deployment's life, one row at a time, as the worker writes it.
    await client.query(
      `UPDATE "Deployment" SET status = 'running' WHERE id = md5('ad6')::uuid AND status = 'queued'`,
    );
    await client.query(
      `UPDATE "Deployment" SET status = 'failed', "errorCode" = 'PORT_IN_USE' WHERE id = md5('ad6')::uuid`,
    );
    // A step started again (its duration cleared), a reset keeping its duration (resetSteps,
    // of a project's newest deployment: a project's deploys run one at a time), a step ending.
    await client.query(
      `UPDATE "DeploymentStep" SET status = 'running', "durationMs" = NULL WHERE id = md5('as10-3')::uuid`,
    );
    await client.query(
      `UPDATE "DeploymentStep" SET status = 'pending' WHERE "deploymentId" = md5('ad298')::uuid`,
    );
    await client.query(
      `UPDATE "DeploymentStep" SET status = 'succeeded', "durationMs" = 1234 WHERE id = md5('as10-3')::uuid`,
    );
    // Updates that change nothing counted (a log tail, a process group) leave the totals alone.
    const before = await client.query(`SELECT count(*)::int AS n FROM "MetricDelta"`);
    await client.query(`UPDATE "DeploymentStep" SET "logTail" = 'x', pgid = 42`);
    await client.query(`UPDATE "Deployment" SET "releaseRestarts" = "releaseRestarts" + 1`);
    expect((await client.query(`SELECT count(*)::int AS n FROM "MetricDelta"`)).rows).toEqual(
      before.rows,
    );
    await expectSameNumbers(db, false);
    await expectSameNumbers(db);

    // A project's first provision succeeding after a failed one, and its later repeats.
    await client.query(
      `INSERT INTO "Project" (id, slug, "updatedAt") VALUES (md5('new')::uuid, 'new', now())`,
    );
    for (const [i, status] of ["failed", "succeeded", "succeeded"].entries()) {
      await client.query(
        `INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref) VALUES (md5($1)::uuid, md5('new')::uuid, '/r', 'main')`,
        [`new-d${i}`],
      );
      await client.query(
        `INSERT INTO "DeploymentStep" (id, "deploymentId", name, position, status, "startedAt")
         VALUES (md5($1)::uuid, md5($2)::uuid, 'provision', 0, 'running', now())`,
        [`new-s${i}`, `new-d${i}`],
      );
      await client.query(
        `UPDATE "DeploymentStep" SET status = $2::"StepStatus", "durationMs" = $3 WHERE id = md5($1)::uuid`,
        [`new-s${i}`, status, 900 + i * 40],
      );
    }
    await expectSameNumbers(db);

    // Deleting a project takes its deployments and steps out, as the counts over rows did.
    await client.query(`DELETE FROM "Project" WHERE id = md5('a3')::uuid`);
    await client.query(`DELETE FROM "Project" WHERE slug = 'new'`);
    await expectSameNumbers(db, false);
    await expectSameNumbers(db);
    expect(await foldMetricDeltas(db)).toBe(0);

    // Counted afresh from the rows (as the migration counts a history), the same again.
    await client.query("SELECT coduck_recount_metric_totals()");
    await expectSameNumbers(db, false);
  });
});

it("a migrated installation starts from the totals of the history it already has", async () => {
  const name = `coduck_test_migration_${randomBytes(4).toString("hex")}`;
  await onServer((c) => c.query(`CREATE DATABASE ${name}`));
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  const db = connectDb(databaseUrl(name));
  try {
    const all = (await readdir(MIGRATIONS, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const migration = (dir: string) =>
      readFile(path.join(MIGRATIONS, dir, "migration.sql"), "utf8");
    for (const dir of all.filter((d) => d < TOTALS_MIGRATION))
      await client.query(await migration(dir));
    await recordHistory(client, "m", 200);

    await client.query(await migration(TOTALS_MIGRATION));
    expect((await client.query(`SELECT count(*)::int AS n FROM "MetricDelta"`)).rows[0].n).toBe(0);
    await expectSameNumbers(db);
    // And keeps counting from there.
    await client.query(
      `UPDATE "Deployment" SET status = 'failed', "errorCode" = NULL WHERE status = 'queued'`,
    );
    await client.query(`DELETE FROM "Project" WHERE id = md5('m2')::uuid`);
    await expectSameNumbers(db);
  } finally {
    await db.$disconnect();
    await client.end();
    await onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
});
