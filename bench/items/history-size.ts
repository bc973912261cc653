import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import pg from "pg";
import pino from "pino";
import { latestFailedIds } from "../../src/deploys/latest-failed.js";
import { planRetries } from "../../src/deploys/retry-deployment.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";
import { pruneReleases } from "../../src/housekeeping/prune-releases.js";
import { pruneStepLogs } from "../../src/housekeeping/prune-step-logs.js";
import { createMetricsRegistry } from "../../src/metrics/metrics-registry.js";
import { queueStatusNotifications } from "../../src/notify/poll-status-changes.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { getDeploymentRecord, listDeploymentRecords } from "../../src/store/deployment-record.js";
import type { Db } from "../../src/store/prisma.js";
import { getProjectOverview, listProjects } from "../../src/store/projects.js";
import { readDeploymentLogs } from "../../src/store/read-deployment-logs.js";
import { recordPushDeployment } from "../../src/store/webhook-deliveries.js";
import { createTestDatabase } from "../../test/helpers/databases.js";
import { countingDb } from "../lib/counting-db.js";
import type { Row } from "../lib/report.js";
import { atMost } from "../lib/report.js";
import { percentile, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

const PROJECTS = 2_000;
/** Projects with a live release, at every size. */
const LIVE = 200;
const DAYS = 90;
/** The ratio every operator-facing read must stay under, large history ÷ small. */
const FLAT = 1.5;
const METRICS_LIMIT_MS = 100;
const DAY_MS = 24 * 3600_000;

/** One operation an operator (or Prometheus, or GitHub) causes, timed at each size. */
type Operation = {
  name: string;
  /** Held to FLAT (and /metrics to its limit): the reads bounded by what they show. */
  flat: boolean;
  run(db: Db, fixture: Fixture): Promise<unknown>;
  /** The rows it shows, where each costs its own reads: reported beside the time per row. */
  shown?: (result: unknown) => number;
};

/** What the operations read: the busiest project, a deployment with a stored log, … */
type Fixture = {
  busiest: string;
  busiestId: string;
  recentId: string;
  loggedId: string;
  code: string;
  queue: Queue;
  dataDir: string;
  registry: ReturnType<typeof createMetricsRegistry>;
};

const OPERATIONS: Operation[] = [
  { name: "`GET /metrics` (one scrape)", flat: true, run: (_db, f) => f.registry.metrics() },
  {
    name: "dashboard front page: the 50 newest deployments",
    flat: true,
    run: (db) => listDeploymentRecords(db, { limit: 50 }),
  },
  {
    name: "`deployments list` (20 newest)",
    flat: true,
    run: (db) => listDeploymentRecords(db, { limit: 20 }),
  },
  {
    name: "`deployments list --project P` (the busiest)",
    flat: true,
    run: (db, f) => listDeploymentRecords(db, { project: f.busiest, limit: 20 }),
  },
  {
    name: "`deployments list --status failed --code C`",
    flat: true,
    run: (db, f) => listDeploymentRecords(db, { status: "failed", errorCode: f.code, limit: 20 }),
  },
  { name: "`projects list`", flat: true, run: (db) => listProjects(db) },
  {
    name: "`projects show P` (the busiest)",
    flat: true,
    run: (db, f) => getProjectOverview(db, f.busiest),
  },
  {
    name: "`deployments show`",
    flat: true,
    run: (db, f) => getDeploymentRecord(db, f.recentId),
  },
  {
    name: "`deployments logs`",
    flat: true,
    run: (db, f) => readDeploymentLogs(db, f.loggedId),
  },
  {
    name: "`retry --all-failed` selection (each project's newest, when failed)",
    flat: true,
    // As the command selects: each one's failed step comes from the steps its plan reads.
    run: (db) => latestFailedIds(db, {}),
    shown: (rows) => (rows as unknown[]).length,
  },
  {
    // Not held to FLAT: it plans one retry per line it prints (3.3x the lines at 200k). The
    // fill records no release directories, so no fingerprint is taken: this is its database work.
    name: "`retry --all-failed --dry-run`: the selection and each line's plan",
    flat: false,
    run: async (db) => planRetries(db, await latestFailedIds(db, {})),
    shown: (plans) => (plans as unknown[]).length,
  },
  {
    name: "webhook intake: a push recorded (the supersede query included)",
    flat: true,
    run: (db, f) =>
      recordPushDeployment(db, {
        deliveryId: randomUUID(),
        project: { id: f.busiestId, slug: f.busiest, repoUrl: "/bench/none" },
        commitSha: randomBytes(20).toString("hex"),
        steps: DEPLOY_STEP_NAMES,
      }),
  },
  {
    name: "notification poll (changes of the last 15 s)",
    flat: true,
    run: (db, f) => queueStatusNotifications(db, f.queue, new Date(Date.now() - 15_000)),
  },
  {
    name: "housekeeping prune-logs, nothing due (dry run)",
    flat: true,
    run: (db) => pruneStepLogs(db, new Date(Date.now() - 30 * DAY_MS), { dryRun: true }),
  },
  {
    name: "housekeeping prune-logs, nothing due",
    flat: true,
    run: (db) => pruneStepLogs(db, new Date(Date.now() - 30 * DAY_MS)),
  },
  {
    name: "housekeeping prune-releases (the same 600 release folders on disk)",
    flat: true,
    run: (db, f) => pruneReleases(db, f.dataDir, 3, { dryRun: true }),
  },
];

/**
 * 9. History costs nothing extra (issue 25): a fresh worker database filled with synthetic
 * history at two sizes (realistic shape: six steps per deployment, about 15 % failed with a
 * code, a stored log for one in twenty, skewed over 2,000 projects, spread over 90 days), each
 * operation an operator, Prometheus or GitHub causes timed at both: the large history's time is
 * held to 1.5× the small one's, and a /metrics scrape to 100 ms.
 */
export const historySize: BenchItem = {
  id: 9,
  title: "history costs nothing extra: reads at 1k and 200k deployments",
  runs: { full: 25, smoke: 3 },
  async run(ctx) {
    const [small, large] = ctx.smoke ? [100, 2_000] : [1_000, 200_000];
    const histories: History[] = [];
    try {
      for (const size of [small, large]) histories.push(await prepare(size, ctx));
      const [atSmall, atLarge] = histories as [History, History];
      const rows: Row[] = [];
      const label = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
      for (const op of OPERATIONS) {
        // Warm both (plans, caches, connections) and count the statements one call sends.
        const statements: number[] = [];
        const shown: number[] = [];
        for (const h of histories) {
          await op.run(h.db, h.fixture);
          h.counting.take();
          const result = await op.run(h.db, h.fixture);
          statements.push(h.counting.take().length);
          if (op.shown) shown.push(op.shown(result));
        }
        // The two sizes alternate, run by run: a busy machine slows both alike.
        const times = { small: [] as number[], large: [] as number[] };
        for (let r = 0; r < ctx.runs; r++) {
          for (const [h, into] of [
            [atSmall, times.small],
            [atLarge, times.large],
          ] as const) {
            const t = performance.now();
            await op.run(h.db, h.fixture);
            into.push(performance.now() - t);
          }
        }
        const ratio = percentile(times.large, 50) / percentile(times.small, 50);
        const notes = [
          statements[0] === statements[1]
            ? null
            : `${statements[1]} statements at ${label(large)}, ${statements[0]} at ${label(small)}`,
          op.shown
            ? `shows ${shown[1]} rows at ${label(large)}, ${shown[0]} at ${label(small)}: ${perRow(times.large, shown[1]!)} and ${perRow(times.small, shown[0]!)} per row`
            : null,
        ].filter((note) => note !== null);
        const isMetrics = op === OPERATIONS[0];
        rows.push({
          item: 9,
          measure: `${op.name} (worker: ${label(large)} deployments, baseline: ${label(small)})`,
          worker: { summary: summarize(times.large), unit: "ms" },
          baseline: { summary: summarize(times.small), unit: "ms" },
          ratio: summarize([ratio]),
          // Smoke sizes prove the item runs; they measure nothing worth a target.
          target:
            op.flat && !ctx.smoke
              ? isMetrics
                ? {
                    text: `≤ ${FLAT}×, ≤ ${METRICS_LIMIT_MS} ms`,
                    met: ratio <= FLAT && percentile(times.large, 50) <= METRICS_LIMIT_MS,
                  }
                : atMost(FLAT, ratio, "×")
              : undefined,
          note: notes.length === 0 ? undefined : `${op.name}: ${notes.join("; ")}`,
        });
      }
      rows.push({
        item: 9,
        measure: "filling the history (worker: large, baseline: small)",
        worker: { summary: summarize([atLarge.fillSeconds]), unit: "s" },
        baseline: { summary: summarize([atSmall.fillSeconds]), unit: "s" },
        note: histories.map((h) => h.pruned).join("; "),
      });
      return rows;
    } finally {
      for (const h of histories) await h.close();
    }
  },
};

/** The median time per row shown, in ms. */
function perRow(times: number[], rows: number): string {
  return rows === 0 ? "-" : `${(percentile(times, 50) / rows).toFixed(3)} ms`;
}

type History = {
  size: number;
  db: Db;
  counting: ReturnType<typeof countingDb>;
  fixture: Fixture;
  fillSeconds: number;
  /** What the first prune-logs run (with logs due) deleted, and how long it took. */
  pruned: string;
  close(): Promise<void>;
};

/** A fresh worker database with `size` deployments of history, the fixture its reads use. */
async function prepare(size: number, ctx: Parameters<BenchItem["run"]>[0]): Promise<History> {
  const database = await createTestDatabase();
  const counting = countingDb(database.url);
  const db = counting.db;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-history-"));
  const queue = new Queue(`bench-history-${randomBytes(4).toString("hex")}`, {
    connection: { host: "127.0.0.1", port: 6379, maxRetriesPerRequest: null },
  });
  const close = async () => {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    await db.$disconnect();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const started = performance.now();
    await fill(database.url, size, ctx.progress);
    const fillSeconds = (performance.now() - started) / 1000;
    ctx.progress(`${size} deployments filled in ${fillSeconds.toFixed(1)} s`);
    const fixture = await fixtureOf(database.url, dataDir, queue);
    const registry = createMetricsRegistry({
      db,
      queues: async () => [queue],
      logger: pino({ level: "silent" }),
      hostDownAfterMs: 30_000,
    });
    // What is due goes first (logs older than 30 days), timed apart: it costs what it deletes.
    const t = performance.now();
    const cutoff = new Date(Date.now() - 30 * DAY_MS);
    const pruned = await pruneStepLogs(db, cutoff);
    const pruneMs = performance.now() - t;
    const again = await pruneStepLogs(db, cutoff);
    if (again.steps !== 0) throw new Error(`prune-logs left ${again.steps} steps' logs due`);
    return {
      size,
      db,
      counting,
      fixture: { ...fixture, registry },
      fillSeconds,
      pruned: `at ${size}: prune-logs deleted the logs of ${pruned.steps} steps (${pruned.lines} lines) in ${pruneMs.toFixed(0)} ms`,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The history, set-based: projects, deployments (queued over 90 days, skewed towards the first
 * projects: project ⌊2000·u³⌋), six steps each (a failed deploy fails at install or build and
 * skips the rest), a stored log for one deployment in twenty (two chunks per step), each
 * project's newest succeeded deployment live for 200 projects, a notification URL on one in ten.
 */
async function fill(
  url: string,
  deployments: number,
  progress: (line: string) => void,
): Promise<void> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  // Each statement's time, reported: where a slow fill spends it.
  const client = {
    async query(text: string, values?: unknown[]) {
      const t = performance.now();
      const result = await connection.query(text, values);
      const ms = performance.now() - t;
      if (ms > 1_000)
        progress(
          `  fill: ${text.trim().split(/\s+/).slice(0, 3).join(" ")} … ${(ms / 1000).toFixed(1)} s`,
        );
      return result;
    },
  };
  try {
    const codes = Object.keys(FAILURE_CODES).slice(0, 12);
    // Foreign keys and the triggers (metric totals, newest deployment) off while filling (row by
    // row they are most of the time); the totals and flags are set afterwards, as the
    // migrations set them for an existing history.
    await client.query("SET session_replication_role = replica");
    await client.query("SELECT setseed(0.25)");
    await client.query(
      `INSERT INTO "Project" (id, slug, "repoUrl", "updatedAt")
       SELECT gen_random_uuid(), 'p' || lpad(i::text, 4, '0'), '/bench/none', now()
       FROM generate_series(0, $1::int - 1) i`,
      [PROJECTS],
    );
    await client.query(
      `CREATE TEMP TABLE bench_projects AS
       SELECT row_number() OVER (ORDER BY slug) - 1 AS n, id FROM "Project"`,
    );
    await client.query(
      `INSERT INTO "Deployment" (id, "projectId", status, trigger, "repoUrl", ref, "commitSha",
                                 "errorCode", hint, "queuedAt", "startedAt", "finishedAt", attempt)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(d.i), 12, '0'))::uuid, p.id, d.status::"DeploymentStatus", 'webhook', '/bench/none', 'main',
              md5(d.i::text), CASE WHEN d.status = 'failed' THEN ($3::text[])[1 + d.i % 12] END,
              CASE WHEN d.status = 'failed' THEN 'the fix' END,
              d.at, d.at + interval '2 seconds', d.at + interval '70 seconds', 1
       FROM (
         SELECT i, floor($2::int * power(random(), 3))::int AS n,
                now() - random() * $4::int * interval '1 day' AS at,
                CASE WHEN random() < 0.15 THEN 'failed'
                     WHEN random() < 0.05 THEN 'superseded' ELSE 'succeeded' END AS status
         FROM generate_series(1, $1::int) i
       ) d JOIN bench_projects p ON p.n = d.n
       ORDER BY d.i`,
      [deployments, PROJECTS, codes, DAYS],
    );
    // Six steps: a failed deployment fails at install (position 2) or build (3), then skips.
    // Ids ascending in insertion order (uuid-shaped): 1.2 million random ones cost minutes of
    // scattered index inserts, and nothing read here depends on their randomness.
    await client.query(
      `INSERT INTO "DeploymentStep" (id, "deploymentId", name, position, status, command,
                                     "exitCode", "durationMs", "errorCode", "startedAt", "finishedAt", attempt)
       SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(d.n * 8 + s), 12, '0'))::uuid, d.id,
              ($1::text[])[s + 1], s, st.status::"StepStatus",
              'npm run build', CASE WHEN st.status = 'failed' THEN 1 WHEN st.status = 'succeeded' THEN 0 END,
              CASE WHEN st.status = 'skipped' THEN NULL ELSE 20 + (hashtext(d.id::text || s) & 65535) END,
              CASE WHEN st.status = 'failed' THEN d."errorCode" END,
              d."startedAt" + s * interval '10 seconds', d."startedAt" + s * interval '10 seconds' + interval '9 seconds', 1
       FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM "Deployment") d
       CROSS JOIN generate_series(0, 5) s
       CROSS JOIN LATERAL (SELECT CASE
         WHEN d.status <> 'failed' THEN 'succeeded'
         WHEN s < 2 + (hashtext(d.id::text) & 1) THEN 'succeeded'
         WHEN s = 2 + (hashtext(d.id::text) & 1) THEN 'failed'
         ELSE 'skipped' END AS status) st
       ORDER BY d.n, s`,
      [DEPLOY_STEP_NAMES],
    );
    const text = Array.from({ length: 20 }, (_, i) => `npm info run step line ${i}: ok`).join("\n");
    await client.query(
      `INSERT INTO "StepLogChunk" ("stepId", "firstSeq", "lastSeq", at, streams, lines)
       SELECT s.id, c * 20, c * 20 + 19, s."startedAt" + c * interval '1 second', repeat('o', 20), $1
       FROM "DeploymentStep" s JOIN "Deployment" d ON d.id = s."deploymentId"
       CROSS JOIN generate_series(0, 1) c
       WHERE abs(hashtext(d.id::text)) % 20 = 0 AND s.status <> 'skipped'`,
      [text],
    );
    // The same number of live releases at every size (what /metrics and projects list show per
    // project): the first LIVE projects with a success, their newest succeeded deployment.
    await client.query(
      `UPDATE "Project" p SET "liveDeploymentId" = l.id
       FROM (SELECT DISTINCT ON (d."projectId") d."projectId", d.id, b.n FROM "Deployment" d
             JOIN bench_projects b ON b.id = d."projectId"
             WHERE d.status = 'succeeded' ORDER BY d."projectId", d."queuedAt" DESC) l
       WHERE l."projectId" = p.id
         AND l.n IN (SELECT n FROM (SELECT DISTINCT b.n FROM bench_projects b
                     JOIN "Deployment" d ON d."projectId" = b.id AND d.status = 'succeeded'
                     ORDER BY b.n LIMIT $1) first)`,
      [LIVE],
    );
    await client.query(
      `INSERT INTO "NotificationTarget" (id, "projectId", url, "secretEncrypted", "keyVersion", "updatedAt")
       SELECT gen_random_uuid(), id, 'http://127.0.0.1:9/hook', 'x', 1, now() FROM bench_projects WHERE n % 10 = 0`,
    );
    await client.query("SET session_replication_role = DEFAULT");
    await client.query("SELECT coduck_recount_metric_totals()");
    // Each project's newest flagged, as the migration flags an existing history.
    await client.query("SELECT coduck_recount_latest_deployments()");
    await client.query("VACUUM ANALYZE");
  } finally {
    await connection.end();
  }
}

/** The busiest project, a recent deployment, one with a stored log, and 600 release folders. */
async function fixtureOf(url: string, dataDir: string, queue: Queue) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const busiest = (
      await client.query(
        `SELECT p.slug, p.id FROM "Project" p JOIN "Deployment" d ON d."projectId" = p.id
         GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1`,
      )
    ).rows[0];
    const recent = (
      await client.query(`SELECT id FROM "Deployment" ORDER BY "queuedAt" DESC LIMIT 1`)
    ).rows[0];
    const logged = (
      await client.query(
        `SELECT s."deploymentId" AS id FROM "StepLogChunk" l JOIN "DeploymentStep" s ON s.id = l."stepId"
         ORDER BY l.at DESC LIMIT 1`,
      )
    ).rows[0];
    const code = (
      await client.query(
        `SELECT "errorCode" AS code FROM "Deployment" WHERE status = 'failed' LIMIT 1`,
      )
    ).rows[0];
    // The same number of release folders at every size: the newest deployments' releases.
    const releases = await client.query(
      `SELECT p.slug, d.id FROM "Deployment" d JOIN "Project" p ON p.id = d."projectId"
       ORDER BY d."queuedAt" DESC LIMIT 600`,
    );
    for (const { slug, id } of releases.rows) {
      const dir = path.join(dataDir, "releases", slug, `${id}-1`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dataDir, "releases", slug, `${id}-1.log`), "");
    }
    return {
      busiest: busiest.slug as string,
      busiestId: busiest.id as string,
      recentId: recent.id as string,
      loggedId: logged.id as string,
      code: code.code as string,
      queue,
      dataDir,
    };
  } finally {
    await client.end();
  }
}
