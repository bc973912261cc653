import { readdir } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { OutsideAppError, openAppDirectory } from "../apps/open-inside-app.js";
import { isAppFile, readOptionalAppFile } from "../apps/read-app-file.js";
import type { Config } from "../config.js";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { childEnv } from "../exec/child-env.js";
import { runToEnd, sandboxFor } from "../exec/sandbox.js";
import { projectCredentials } from "../provisioning/project-credentials.js";
import { prismaBin } from "../schema/prisma-commands.js";
import { prismaEnv } from "../schema/run-prisma.js";
import { projectBoxLimits } from "../store/box-limits.js";
import { projectAppUid } from "../store/project-app-uid.js";
import { withProvisioning } from "./with-provisioning.js";

type Out = NodeJS.WritableStream;

// What a Prisma migration creates: its tables, and the columns it adds to existing ones.
const CREATE_TABLE =
  /^[ \t]*CREATE TABLE (?:IF NOT EXISTS )?(?:"([^"]{1,63})"\.)?"([^"]{1,63})"/gim;
const ADD_COLUMN =
  /^[ \t]*ALTER TABLE (?:"([^"]{1,63})"\.)?"([^"]{1,63})" ADD COLUMN (?:IF NOT EXISTS )?"([^"]{1,63})"/gim;
// prisma migrate resolve takes the directory's name; Prisma names them <timestamp>_<name>.
const MIGRATION_NAME = /^[A-Za-z0-9_.-]{1,200}$/;
const RESOLVE_TIMEOUT_MS = 120_000;

type Migration = {
  name: string;
  tables: { schema: string; table: string }[];
  columns: { schema: string; table: string; column: string }[];
};

/**
 * `coduck-worker db baseline --project P [--deployment ID]`: after a switch from CoDuck's
 * automatic `prisma db push` to `prisma migrate deploy`, the database has the tables but no
 * migration history, and migrate deploy stops with P3005. This marks the app's leading
 * migrations whose tables and added columns all exist as applied, with the app's own Prisma
 * (`prisma migrate resolve --applied <name>`) in the project's box on its DIRECT_URL, in the
 * release directory of the failed deployment; the migrations after them are left for
 * `prisma migrate deploy`. Then retry the deployment.
 */
export async function dbBaselineCommand(
  config: Config,
  options: { project: string; deployment?: string },
  out: Out,
): Promise<void> {
  const parsed = projectSlug.safeParse(options.project);
  if (!parsed.success) throw new UsageError(`--project: ${parsed.error.issues[0]!.message}`);
  const slug = parsed.data;
  await withProvisioning(config, async (deps) => {
    const credentials = await projectCredentials(deps, slug);
    if (!credentials) {
      throw new UsageError(
        `project ${slug} has no database yet: it is created on its first deploy, and there is nothing to baseline`,
      );
    }
    const deployment = await deps.db.deployment.findFirst({
      where: {
        project: { slug },
        ...(options.deployment ? { id: options.deployment } : { status: "failed" }),
      },
      orderBy: { queuedAt: "desc" },
      select: { id: true, attempt: true, errorCode: true },
    });
    if (!deployment) {
      throw new UsageError(
        options.deployment
          ? `project ${slug} has no deployment ${options.deployment}`
          : `project ${slug} has no failed deployment: baseline takes the migrations of the deployment that failed with P3005 (or name one with --deployment)`,
      );
    }
    const releaseDir = path.join(
      config.dataDir,
      "releases",
      slug,
      `${deployment.id}-${deployment.attempt}`,
    );
    if (!(await isAppFile(releaseDir, prismaBin(releaseDir)).catch(() => false))) {
      throw new UsageError(
        `deployment ${deployment.id} has no release directory with the app's Prisma on this machine (${releaseDir}): retry it once to install it, or give --deployment`,
      );
    }
    const migrations = await readMigrations(releaseDir);
    if (migrations.length === 0) {
      throw new UsageError(
        `deployment ${deployment.id} has no migrations in prisma/migrations: nothing to baseline`,
      );
    }

    const client = new pg.Client(credentials.direct);
    await client.connect();
    let matched: Migration[];
    try {
      const recorded = await recordedMigrations(client);
      if (recorded > 0) {
        throw new UsageError(
          `the database of ${slug} already records ${recorded} applied migration(s) in _prisma_migrations: baseline is only for a database no migration created (P3005); see the deployment's evidence for what failed`,
        );
      }
      matched = await leadingExisting(client, migrations);
    } finally {
      await client.end();
    }
    if (matched.length === 0) {
      throw new UsageError(
        `no migration's tables exist in the database of ${slug} (the first, ${migrations[0]!.name}, creates ${describe(migrations[0]!)}): there is nothing to mark as applied; the database's tables do not come from these migrations`,
      );
    }

    const uid = await projectAppUid(deps.db, credentials.projectId, config.appUidBase);
    const box = await sandboxFor(
      config.sandbox,
      { dataDir: config.dataDir, releaseDir, project: slug },
      { uid, gid: uid },
      await projectBoxLimits(deps.db, credentials.projectId, config.boxLimits),
    );
    for (const migration of matched) {
      const plain = {
        file: prismaBin(releaseDir),
        args: ["migrate", "resolve", "--applied", migration.name],
        cwd: releaseDir,
        env: childEnv(prismaEnv(credentials.directUrl), releaseDir),
      };
      const result = await runToEnd(box, plain, RESOLVE_TIMEOUT_MS);
      if (result.exitCode !== 0) {
        const last = (result.all ?? "").trim().split("\n").slice(-3).join(" | ");
        throw new UsageError(
          `prisma migrate resolve --applied ${migration.name} exited with ${result.exitCode ?? result.signal}: ${last}`,
        );
      }
      out.write(
        `marked ${migration.name} as applied (already in the database: ${describe(migration)})\n`,
      );
    }
    const left = migrations.slice(matched.length);
    out.write(
      left.length > 0
        ? `left for prisma migrate deploy: ${left.map((m) => m.name).join(", ")}\n`
        : "every migration is marked as applied\n",
    );
    out.write(`deploy again: coduck-worker retry ${deployment.id}\n`);
  });
}

/** The app's migrations, in the order Prisma applies them (by directory name). */
async function readMigrations(appDir: string): Promise<Migration[]> {
  const dir = path.join(appDir, "prisma", "migrations");
  let names: string[];
  try {
    const handle = await openAppDirectory(appDir, dir);
    await handle.close();
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (error instanceof OutsideAppError) throw new UsageError(error.message);
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const migrations: Migration[] = [];
  for (const name of names) {
    if (!MIGRATION_NAME.test(name)) continue;
    const sql = await readOptionalAppFile(appDir, path.join(dir, name, "migration.sql")).catch(
      (error: Error) => {
        throw error instanceof OutsideAppError ? new UsageError(error.message) : error;
      },
    );
    if (sql === null) continue;
    migrations.push({
      name,
      tables: [...sql.matchAll(CREATE_TABLE)].map((m) => ({
        schema: m[1] ?? "public",
        table: m[2]!,
      })),
      columns: [...sql.matchAll(ADD_COLUMN)].map((m) => ({
        schema: m[1] ?? "public",
        table: m[2]!,
        column: m[3]!,
      })),
    });
  }
  return migrations;
}

async function recordedMigrations(client: pg.Client): Promise<number> {
  const exists = await client.query<{ found: boolean }>(
    "SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS found",
  );
  if (!exists.rows[0]!.found) return 0;
  const count = await client.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM public._prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
  );
  return count.rows[0]!.n;
}

/**
 * The leading migrations that created something (tables or columns) that all exists: the ones
 * an earlier push already applied. The first whose objects are missing, and every later one,
 * is left to run.
 */
async function leadingExisting(client: pg.Client, migrations: Migration[]): Promise<Migration[]> {
  const matched: Migration[] = [];
  for (const migration of migrations) {
    if (migration.tables.length === 0 && migration.columns.length === 0) break;
    let all = true;
    for (const { schema, table } of migration.tables) {
      const found = await client.query(
        "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2",
        [schema, table],
      );
      if (found.rowCount === 0) all = false;
    }
    for (const { schema, table, column } of migration.columns) {
      const found = await client.query(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
        [schema, table, column],
      );
      if (found.rowCount === 0) all = false;
    }
    if (!all) break;
    matched.push(migration);
  }
  return matched;
}

function describe(migration: Migration): string {
  const names = [
    ...migration.tables.map((t) => `table ${t.table}`),
    ...migration.columns.map((c) => `column ${c.table}.${c.column}`),
  ];
  return names.length > 0 ? names.join(", ") : "no table or column";
}
