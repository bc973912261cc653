import { existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import pg from "pg";
import { deploymentWait } from "../../src/cli/deployment-wait.js";
import { rollbackDeployment } from "../../src/deploys/rollback-deployment.js";
import { startHostHeartbeat } from "../../src/main/host-heartbeat.js";
import { isRoleReadOnly } from "../../src/moves/freeze-source.js";
import { requestMove } from "../../src/moves/request-move.js";
import { ROLLBACK_SCHEMA_REASON } from "../../src/pipeline/reused-steps.js";
import { releaseFingerprint } from "../../src/releases/release-fingerprint.js";
import { latestProjectMove } from "../../src/store/project-moves.js";
import { queryAt } from "../helpers/databases.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";

// A push held during a move that fails (issue 24): the move froze the source (h1) read-only
// before its backup, and its failure queues the unfreeze on h1. The push must not start on h1
// before that unfreeze has run: its preStart writes. The test holds the unfreeze back (it
// takes the role's freeze lock on h1's cluster, which the test holds a while): the push waits,
// says why, and deploys once the source takes writes again, its preStart's write landing.
// Then, the project moved to h2 for real, a rollback to a release built on h1 builds afresh on
// h2 instead of copying h1's directory by its path (both hosts share this machine's disk).
// Real deploys and moves (pg-app, whose preStart writes a row): allow minutes.
jest.setTimeout(600_000);

const SLUG = "thawed";
let h1: TestStack;
let h2: SecondHost;
let repo: GitRepo;

/** pg-app's preStart, creating its table and writing a row that names the commit's version. */
const migrateWriting = (version: string) => `import pg from "pg";
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())");
await client.query("INSERT INTO notes (body) VALUES ($1)", [${JSON.stringify(`preStart ${version}`)}]);
await client.end();
console.log("migrated and wrote: notes");
`;

beforeAll(async () => {
  h1 = await createTestStack({ HOST_ID: "h1" }, { pgbouncer: {} });
  h2 = await createSecondHost(h1, { hostId: "h2" });
  await h1.startWorker();
  repo = await fixtureRepo("pg-app", { "scripts/migrate.js": migrateWriting("v1") });
}, 180_000);
afterAll(async () => {
  await h2?.close();
  await h1?.close();
}, 180_000);

async function latestMove() {
  const project = await h1.db.project.findUniqueOrThrow({ where: { slug: SLUG } });
  return latestProjectMove(h1.db, project.id);
}
const moveDeps = () => ({ db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs });
const waitDeps = () => ({ db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs });
/** A URL of the project's database on a host's cluster, as that cluster's superuser. */
function databaseOn(stack: TestStack, database: string): string {
  const url = new URL(stack.config.adminDatabaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
const notesOn = async (stack: TestStack, database: string) =>
  (await queryAt(databaseOn(stack, database), "SELECT body FROM notes ORDER BY id")).map(
    (row) => row.body,
  );
const WAIT_NOTE = "queued during the move of thawed to h2: it waited for the move to end";
const FROZEN_NOTE =
  "held after a failed move of thawed: waiting for the source database of thawed to be made writable again";

let first: string;
let firstReleaseDir: string;
let database: string;

describe("a push held during a move that fails", () => {
  it("deploys v1 on h1, its preStart writing", async () => {
    first = await h1.deploy({ project: SLUG, repoUrl: repo.dir });
    const ended = await h1.waitForEnd(first, 240_000);
    expect({ status: ended.status, errorCode: ended.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const project = await h1.db.project.findUniqueOrThrow({
      where: { slug: SLUG },
      select: { database: { select: { databaseName: true } } },
    });
    database = project.database!.databaseName;
    expect(await notesOn(h1, database)).toEqual(["preStart v1"]);
    firstReleaseDir = (await h1.db.deployment.findUniqueOrThrow({ where: { id: first } }))
      .releaseDir!;
  });

  it("waits for the move, then for the source's unfreeze, and deploys on h1 once it takes writes", async () => {
    // h2 is up (its heartbeat), but no worker takes its queue: the move stops at its restore,
    // its backup done, h1's database frozen.
    const heartbeat = await startHostHeartbeat(h2.db, h2.config, h2.logger);
    const lock = new pg.Client({ connectionString: h1.config.adminDatabaseUrl });
    let locked = false;
    try {
      await requestMove(moveDeps(), {
        project: SLUG,
        to: "h2",
        confirm: SLUG,
        requestedBy: "test",
      });
      const held = await waitFor(
        "the move to reach its restore stage",
        async () => {
          const move = await latestMove();
          if (move?.status === "failed") throw new Error(`move failed: ${move.error}`);
          return move?.stage === "restore" ? move : undefined;
        },
        240_000,
      );
      expect(held.sourceFrozenAt).not.toBeNull();
      expect(held.sourceUnfrozenAt).toBeNull();
      expect(await isRoleReadOnly(h1.config, held.fromRole)).toBe(true);

      const commit = await repo.commit({ "scripts/migrate.js": migrateWriting("v2") }, "v2");
      const pushed = await h1.deploy({ project: SLUG, repoUrl: repo.dir });
      await waitFor(
        "the push to wait for the move on h1",
        async () =>
          (await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } })).warnings.includes(
            WAIT_NOTE,
          ),
        60_000,
      );

      // The unfreeze held back: the role's freeze lock, taken as every freeze and unfreeze does.
      await lock.connect();
      await lock.query("BEGIN");
      await lock.query(
        "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))",
        [`coduck:freeze:${held.fromRole}`],
      );
      locked = true;

      // h2's worker with a backup store of its own: it cannot read h1's backup, the move fails.
      const unshared = await h2.startWorker();
      try {
        const failed = await waitFor(
          "the move to fail",
          async () => {
            const move = await latestMove();
            return move?.status === "failed" ? move : undefined;
          },
          240_000,
        );
        expect(failed.stage).toBe("restore");
      } finally {
        await unshared.worker.close();
      }
      await waitFor(
        "the push to say it waits for the source to take writes",
        async () => {
          const push = await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } });
          if (push.status !== "queued")
            throw new Error(
              `the push is ${push.status} (${push.errorCode}) while the source is still read-only`,
            );
          return push.warnings.includes(FROZEN_NOTE);
        },
        60_000,
      );
      expect(await deploymentWait(waitDeps(), { id: pushed, project: SLUG })).toMatch(
        /^waiting for the source database of thawed to be made writable again: move [0-9a-f-]{36} failed, and its unfreeze on host h1 has not ended yet \(coduck-worker projects show thawed\)$/,
      );
      // Held a while longer (its job looks again every 2 s): it still waits, the source frozen.
      await sleep(6_000);
      expect((await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } })).status).toBe(
        "queued",
      );
      expect((await latestMove())?.sourceUnfrozenAt).toBeNull();
      expect(await isRoleReadOnly(h1.config, held.fromRole)).toBe(true);

      // The unfreeze goes ahead; then the push.
      await lock.query("COMMIT");
      locked = false;
      const ended = await h1.waitForEnd(pushed, 240_000);
      const move = await latestMove();
      const record = await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } });
      expect({
        status: ended.status,
        errorCode: ended.errorCode,
        commit: ended.commitSha,
        host: record.hostId,
        warnings: record.warnings,
      }).toEqual({
        status: "succeeded",
        errorCode: null,
        commit,
        host: "h1",
        warnings: [WAIT_NOTE, FROZEN_NOTE],
      });
      expect(move!.sourceUnfrozenAt).not.toBeNull();
      expect(record.startedAt!.getTime()).toBeGreaterThanOrEqual(move!.sourceUnfrozenAt!.getTime());
      expect(await isRoleReadOnly(h1.config, held.fromRole)).toBe(false);
      // Its preStart wrote on h1.
      expect(await notesOn(h1, database)).toEqual(["preStart v1", "preStart v2"]);
    } finally {
      if (locked) await lock.query("ROLLBACK").catch(() => {});
      await lock.end().catch(() => {});
      heartbeat.stop();
    }
  });

  it("after a move to h2, a rollback to a release built on h1 builds afresh on h2", async () => {
    // h2's worker, sharing h1's backup store: the move runs to its end.
    await h2.startWorker({ BACKUP_DIR: h1.config.backups.dir });
    await requestMove(moveDeps(), { project: SLUG, to: "h2", confirm: SLUG, requestedBy: "test" });
    const moved = await waitFor(
      "the move to end",
      async () => {
        const move = await latestMove();
        if (move?.status === "failed") throw new Error(`move failed: ${move.error}`);
        return move?.status === "moved" ? move : undefined;
      },
      400_000,
    );
    expect(moved.toHostId).toBe("h2");
    const before = await releaseFingerprint(firstReleaseDir);
    expect(before).not.toBeNull();

    // v1's release, built on h1, is intact on this machine's disk, but the project lives on h2:
    // the plan says it builds afresh, and why.
    const rollback = await rollbackDeployment(
      { db: h1.db, queues: h1.queues, config: h1.config },
      { project: SLUG, to: first, requestedBy: "test" },
    );
    expect(rollback).toMatchObject({
      fromKeptRelease: false,
      notReused: "it was built on host h1, and the project lives on h2",
    });
    const ended = await h1.waitForEnd(rollback.deploymentId, 240_000);
    const record = await h1.db.deployment.findUniqueOrThrow({
      where: { id: rollback.deploymentId },
    });
    expect({
      status: ended.status,
      errorCode: ended.errorCode,
      host: record.hostId,
      fromStep: record.fromStep,
      steps: ended.steps.map((step) => [step.name, step.status, step.skipReason]),
    }).toEqual({
      status: "succeeded",
      errorCode: null,
      host: "h2",
      fromStep: null,
      // Nothing taken from h1's directory: checked out and installed again (pg-app builds
      // nothing), the schema left alone as by any rollback.
      steps: [
        ["provision", "succeeded", null],
        ["checkout", "succeeded", null],
        ["install", "succeeded", null],
        ["build", "skipped", expect.not.stringMatching(/^reused/)],
        ["schema", "skipped", ROLLBACK_SCHEMA_REASON],
        ["start", "succeeded", null],
      ],
    });
    expect(ended.commitSha).toBe(
      (await h1.db.deployment.findUniqueOrThrow({ where: { id: first } })).commitSha,
    );
    // Built in h2's DATA_DIR; h1's release directory is as it was.
    expect(
      record.releaseDir!.startsWith(`${path.join(h2.config.dataDir, "releases", SLUG)}/`),
    ).toBe(true);
    expect(existsSync(record.releaseDir!)).toBe(true);
    expect(await releaseFingerprint(firstReleaseDir)).toBe(before);
  });
});
