import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { jest } from "@jest/globals";
import pg from "pg";
import { inspectLookup, lookupIntact } from "../../src/provisioning/lookup-objects.js";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { enqueueRestore } from "../../src/queue/database-jobs.js";
import { createRestore } from "../../src/store/restores.js";
import { asProjectRole } from "../helpers/as-project-role.js";
import { databaseUrl, onDatabase } from "../helpers/databases.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// A restore takes a safety backup first; waitForRestore alone allows 60 s.
jest.setTimeout(180_000);

const PROJECT = "shop";
let stack: TestStack;
let repoDir: string;
/** The backup every restore here goes back to: three items, the Auth SDK's table. */
let made: Awaited<ReturnType<typeof json>>;
let backupId: string;

// As the project's own role, the way the app (and the Auth SDK) creates its objects.
const asApp = <T>(work: (client: pg.Client) => Promise<T>) => asProjectRole(stack, PROJECT, work);

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const project = await projectCredentials(stack, PROJECT);
  return onDatabase(project!.database, work);
}

async function json(args: string[]) {
  const run = await cli(args, stack.env);
  return { run, record: run.exitCode === 0 ? JSON.parse(run.stdout as string) : null };
}

/** `restore` of a backup into PROJECT, confirmed, waited for, as JSON. */
function restoreAndWait(backupId: string) {
  return json([
    "restore",
    "--project",
    PROJECT,
    "--backup",
    backupId,
    "--confirm",
    PROJECT,
    "--wait",
    "--json",
  ]);
}

async function dumpText(backupId: string): Promise<string> {
  const file = path.join(stack.config.backups.dir, PROJECT, `${backupId}.sql.gz`);
  return gunzipSync(await readFile(file)).toString("utf8");
}

beforeAll(async () => {
  // The lookup in public, behind a real PgBouncer: the docs' `bouncer config error` setting.
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
  // A live release of the project, which a restore must leave answering.
  repoDir = (await fixtureRepo("node-http")).dir;
  const deployed = await stack.waitForEnd(
    await stack.deploy({ project: PROJECT, repoUrl: repoDir }),
  );
  expect(deployed.status).toBe("succeeded");
  await asApp(async (c) => {
    await c.query("CREATE TYPE mood AS ENUM ('happy', 'sad')");
    await c.query(
      "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, mood mood DEFAULT 'happy')",
    );
    await c.query("INSERT INTO items (name) VALUES ('one'), ('two'), ('three')");
    await c.query("CREATE VIEW item_names AS SELECT name FROM items");
    // The Auth SDK's table: no Prisma schema of the app knows it.
    await c.query(
      'CREATE TABLE "coduck_auth_users" (id uuid PRIMARY KEY, email text UNIQUE, password_hash text)',
    );
    await c.query(
      "INSERT INTO coduck_auth_users VALUES ('6f1c2f3e-0000-4000-8000-000000000001', 'ada@example.com', 'scrypt$abc')",
    );
  });
  made = await json(["backups", "create", "--project", PROJECT, "--wait", "--json"]);
  backupId = made.record?.id;
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

describe("backups and restores", () => {
  it("backs up the project's database as gzip'd plain SQL, the Auth SDK's table included and the lookup left out", async () => {
    const { run, record } = made;
    expect(run.exitCode).toBe(0);
    expect(record).toMatchObject({ project: PROJECT, kind: "manual", status: "succeeded" });
    expect(record.requestedBy).toMatch(/^cli/);
    expect(record.durationMs).toBeGreaterThanOrEqual(0);

    const file = path.join(stack.config.backups.dir, PROJECT, `${backupId}.sql.gz`);
    const bytes = await readFile(file);
    expect(bytes.length).toBe(record.sizeBytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(record.sha256);

    const sql = await dumpText(backupId);
    expect(sql).toContain("CREATE TABLE public.items");
    expect(sql).toContain("CREATE TABLE public.coduck_auth_users");
    expect(sql).toContain("ada@example.com");
    expect(sql).toContain("CREATE VIEW public.item_names");
    // The platform's object is not the project's: provisioning owns it.
    expect(sql).not.toContain("user_lookup");
    // Portable: no owners, no grants.
    expect(sql).not.toMatch(/OWNER TO|GRANT /);

    const listed = await json(["backups", "list", "--project", PROJECT, "--json"]);
    expect(listed.record.map((b: { id: string }) => b.id)).toContain(backupId);

    const downloaded = await cli(["backups", "download", backupId, "-o", "-"], stack.env);
    expect(downloaded.exitCode).toBe(0);
  });

  it("restores deleted rows and a dropped table, keeping the lookup and PgBouncer working", async () => {
    await asApp(async (c) => {
      await c.query("DELETE FROM items WHERE id > 1");
      await c.query("DROP TABLE coduck_auth_users");
    });

    const { run, record } = await restoreAndWait(backupId);
    expect(run.stderr).toMatch(
      /^queued restore [0-9a-f-]{36} of backup .* \(a safety backup is taken first\)$/,
    );
    expect(run.exitCode).toBe(0);
    expect(record.status).toBe("succeeded");
    expect(record.checks).toEqual(
      expect.arrayContaining([
        "PgBouncer lookup intact",
        expect.stringMatching(/^connected through PgBouncer as /),
        expect.stringMatching(/^live release .* answered HTTP 200$/),
      ]),
    );

    await asApp(async (c) => {
      expect((await c.query("SELECT name FROM items ORDER BY id")).rows.map((r) => r.name)).toEqual(
        ["one", "two", "three"],
      );
      expect((await c.query("SELECT email FROM coduck_auth_users")).rows).toEqual([
        { email: "ada@example.com" },
      ]);
      // The sequence came back too: the next row does not collide.
      expect((await c.query("INSERT INTO items (name) VALUES ('four') RETURNING id")).rows).toEqual(
        [{ id: 4 }],
      );
      await c.query("DELETE FROM items WHERE id = 4");
    });
    expect(lookupIntact(await asAdmin((c) => inspectLookup(c, "public")))).toBe(true);
    const project = await projectCredentials(stack, PROJECT);
    const pooled = new pg.Client(project!.pooled);
    await pooled.connect();
    expect((await pooled.query("SELECT count(*)::int AS n FROM item_names")).rows).toEqual([
      { n: 3 },
    ]);
    await pooled.end();

    // Both are in the job history too, the safety backup as asked for by the restore.
    const runs = await stack.db.jobRun.findMany({ where: { name: { in: ["backup", "restore"] } } });
    expect(runs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: "backup",
          status: "succeeded",
          summary: expect.objectContaining({ backupId }),
        }),
        expect.objectContaining({
          name: "backup",
          status: "succeeded",
          requestedBy: `restore ${record.id}`,
        }),
        expect.objectContaining({
          name: "restore",
          status: "succeeded",
          summary: expect.objectContaining({
            restoreId: record.id,
            safetyBackupId: record.safetyBackupId,
          }),
        }),
      ]),
    );

    // The safety backup holds the database as it was just before: one item, no auth table.
    const safety = await stack.db.backup.findUniqueOrThrow({
      where: { id: record.safetyBackupId },
    });
    expect(safety).toMatchObject({ kind: "safety", status: "succeeded" });
    const before = await dumpText(safety.id);
    expect(before).not.toContain("coduck_auth_users");
    expect(before).not.toContain("\ttwo\t");
  });

  it("restores over a public schema the app dropped and recreated, without losing the lookup", async () => {
    // The docs' trap, done by the app: public (and the lookup in it) gone, public recreated as
    // the role's own; the next deploy (here: db repair) puts the lookup back into it.
    await asApp(async (c) => {
      await c.query("DROP SCHEMA public CASCADE");
      await c.query("CREATE SCHEMA public");
    });
    expect((await cli(["db", "repair", "--project", PROJECT], stack.env)).exitCode).toBe(0);

    const { run, record } = await restoreAndWait(backupId);
    expect(run.exitCode).toBe(0);
    // DROP OWNED BY the role did not take the lookup with the role's schema: nothing to repair.
    expect(record.checks).toContain("PgBouncer lookup intact");
    expect(
      await asApp(async (c) => (await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n),
    ).toBe(3);
  });

  it("refuses a restore without the slug as confirmation, or with another, and changes nothing", async () => {
    await asApp((c) => c.query("INSERT INTO items (name) VALUES ('after the backup')"));
    const count = () =>
      asApp(async (c) => (await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n);
    const itemsBefore = await count();
    const restoresBefore = await stack.db.restore.count();
    const backupsBefore = await stack.db.backup.count();

    const missing = await cli(["restore", "--project", PROJECT, "--backup", backupId], stack.env);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(
      `coduck-worker: refusing to restore over the database of ${PROJECT}: it replaces every table and row; repeat the project slug with --confirm ${PROJECT}`,
    );
    const wrong = await cli(
      ["restore", "--project", PROJECT, "--backup", backupId, "--confirm", "shopp"],
      stack.env,
    );
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('--confirm "shopp" is not the project slug');
    expect(await stack.db.restore.count()).toBe(restoresBefore);

    // A job that reaches the worker without the confirmation (queued by hand) is refused there.
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: PROJECT } });
    const restoreId = await createRestore(stack.db, {
      projectId: project.id,
      backupId,
      requestedBy: "test",
    });
    await enqueueRestore(stack.queues, stack.config.host.id, restoreId, "someone-else");
    const refused = await waitForRestore(restoreId);
    expect(refused.status).toBe("failed");
    expect(refused.error).toMatch(/^refused: .*confirmed with its slug .*nothing was changed$/);
    expect(refused.safetyBackupId).toBeNull();
    expect(await stack.db.backup.count()).toBe(backupsBefore);
    expect(await count()).toBe(itemsBefore);
  });

  it("holds the project's lane: a deploy queued during a restore waits for it", async () => {
    // An open transaction reading items holds the restore at its DROP, after its safety backup.
    const blocker = new pg.Client(
      databaseUrl((await projectCredentials(stack, PROJECT))!.database),
    );
    await blocker.connect();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE items IN ACCESS SHARE MODE");
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: PROJECT } });
    const restoreId = await createRestore(stack.db, {
      projectId: project.id,
      backupId,
      requestedBy: "test",
    });
    await enqueueRestore(stack.queues, stack.config.host.id, restoreId, PROJECT);
    await waitForLockWait();

    const deploymentId = await stack.deploy({ project: PROJECT, repoUrl: repoDir });
    // The worker took the deploy's job three times, and put it back each time (or ran it).
    const status = () =>
      stack.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } }).then((d) => d.status);
    await waitFor(
      "the deploy to find its lane taken three times",
      async () =>
        ((await stack.queue.getJob(deploymentId))?.attemptsStarted ?? 0) >= 3 ||
        (await status()) !== "queued",
      30_000,
    );
    expect(await status()).toBe("queued");
    await blocker.query("ROLLBACK");
    await blocker.end();

    const restored = await waitForRestore(restoreId);
    expect(restored.status).toBe("succeeded");
    const deployed = await stack.waitForEnd(deploymentId, 120_000);
    expect(deployed.status).toBe("succeeded");
    expect(Date.parse(deployed.startedAt!)).toBeGreaterThanOrEqual(restored.finishedAt!.getTime());
  }, 180_000);

  it("fails a restore that cannot apply, leaves the database as it was, and names the safety backup", async () => {
    // A backup whose SQL cannot replay (as if pg_dump had written something this server rejects).
    const badId = await storedBackup(
      gzipSync("CREATE TABLE items (id int);\nINSERT INTO nowhere VALUES (1);\n"),
    );
    const rowsBefore = await asApp(
      async (c) => (await c.query("SELECT name FROM items ORDER BY id")).rows,
    );

    const run = await cli(
      ["restore", "--project", PROJECT, "--backup", badId, "--confirm", PROJECT, "--wait"],
      stack.env,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /the restore failed and was rolled back, so the database is as it was: psql failed: .*relation "nowhere" does not exist/,
    );
    const safetyId =
      /The safety backup ([0-9a-f-]{36}) holds the database as it was before this restore: coduck-worker restore --project shop --backup \1 --confirm shop/.exec(
        run.stdout as string,
      )?.[1];
    expect(safetyId).toBeDefined();
    expect((await stack.db.backup.findUniqueOrThrow({ where: { id: safetyId! } })).status).toBe(
      "succeeded",
    );
    expect(
      await asApp(async (c) => (await c.query("SELECT name FROM items ORDER BY id")).rows),
    ).toEqual(rowsBefore);
    expect(lookupIntact(await asAdmin((c) => inspectLookup(c, "public")))).toBe(true);
  });

  it("rolls back a restore whose backup cannot be read to its end", async () => {
    // Complete SQL up to where the file is cut: without its end, nothing may be committed.
    const full = gzipSync(`CREATE TABLE items (id int);\n${"SELECT 1;\n".repeat(50_000)}`);
    const cut = full.subarray(0, full.length - 64);
    const bad = await storedBackup(cut);
    const rowsBefore = await itemNames();

    const run = await cli(
      ["restore", "--project", PROJECT, "--backup", bad, "--confirm", PROJECT, "--wait"],
      stack.env,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      /the restore failed and was rolled back, so the database is as it was: the backup could not be read to its end \(unexpected end of file\)/,
    );
    expect(await itemNames()).toEqual(rowsBefore);
    expect(rowsBefore.length).toBeGreaterThan(0);
  });
});

const itemNames = () =>
  asApp(async (c) => (await c.query("SELECT name FROM items ORDER BY id")).rows);

/** A backup record over the given bytes, recorded as complete with their true sha256. */
async function storedBackup(bytes: Buffer): Promise<string> {
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug: PROJECT } });
  const backup = await stack.db.backup.create({
    data: { projectId: project.id, kind: "manual", status: "succeeded", requestedBy: "test" },
  });
  const key = `${PROJECT}/${backup.id}.sql.gz`;
  await mkdir(path.join(stack.config.backups.dir, PROJECT), { recursive: true });
  await writeFile(path.join(stack.config.backups.dir, key), bytes);
  await stack.db.backup.update({
    where: { id: backup.id },
    data: {
      storageKey: key,
      sizeBytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    },
  });
  return backup.id;
}

async function waitForRestore(id: string) {
  for (let i = 0; i < 600; i++) {
    const restore = await stack.db.restore.findUniqueOrThrow({ where: { id } });
    if (["succeeded", "failed"].includes(restore.status)) return restore;
    await sleep(100);
  }
  throw new Error(`restore ${id} never ended`);
}

/** Until the restore's psql waits for a lock (on a connection of its own: pg_stat_activity is
 * a snapshot inside a transaction). */
async function waitForLockWait() {
  for (let i = 0; i < 600; i++) {
    const { rows } = await asAdmin((c) =>
      c.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'coduck-worker' AND wait_event_type = 'Lock'",
      ),
    );
    if (rows.length > 0) return;
    await sleep(100);
  }
  throw new Error("the restore never waited for the lock");
}
