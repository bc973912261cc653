import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createGzip } from "node:zlib";
import pg from "pg";
import type { Config } from "../config.js";
import type { ProjectCredentials } from "../provisioning/project-credentials.js";
import type { BackupStore, StoredBackup } from "./backup-store.js";
import { assertPgDumpCanDump, pgTool, pgToolEnv } from "./pg-tools.js";
import { projectEntries } from "./platform-objects.js";
import { runPgTool } from "./run-pg-tool.js";

export type Dumped = StoredBackup & { databaseSizeBytes: number };

const LOCK_WAIT_MS = 60_000;

/**
 * Dumps a project's database as plain SQL, gzip-compressed, into the store under `key`: as the
 * project's own role over DIRECT_URL, without owners or grants (so it restores as that role,
 * or anywhere), and without the platform's objects (the PgBouncer lookup). Everything the
 * project's role can read is in it, tables the app's Prisma schema does not know included.
 *
 * pg_dump writes its archive format first so that the platform's entries can be left out by
 * listing (pg_dump cannot exclude one function); pg_restore then writes that list as SQL.
 */
export async function dumpProjectDatabase(
  config: Config,
  project: ProjectCredentials,
  store: BackupStore,
  key: string,
  signal?: AbortSignal,
): Promise<Dumped> {
  const { versionNum, sizeBytes } = await serverFacts(project);
  await assertPgDumpCanDump(config, versionNum);
  const env = pgToolEnv(project.direct);
  const lookupSchema = config.pgbouncer.lookupSchema;
  const work = await mkdtemp(path.join(os.tmpdir(), "coduck-backup-"));
  try {
    const archive = path.join(work, "dump.archive");
    await runPgTool(
      pgTool(config, "pg_dump"),
      [
        "--format=custom",
        "--compress=0",
        "--no-owner",
        "--no-privileges",
        `--lock-wait-timeout=${LOCK_WAIT_MS}`,
        ...(lookupSchema === "public" ? [] : [`--exclude-schema=${lookupSchema}`]),
        `--file=${archive}`,
      ],
      env,
      { signal, timeoutMs: config.stepTimeoutMs },
    );
    const listing = await runPgTool(pgTool(config, "pg_restore"), ["--list", archive], env, {
      signal,
    });
    const list = path.join(work, "project.list");
    await writeFile(list, projectEntries(listing, lookupSchema));

    const gzip = createGzip();
    const storing = store.put(key, gzip);
    try {
      await runPgTool(
        pgTool(config, "pg_restore"),
        // One BEGIN … COMMIT around everything (and none inside, large objects' included), so
        // that replaying it is all or nothing, here and for whoever downloads it.
        [
          "--single-transaction",
          "--no-owner",
          "--no-privileges",
          `--use-list=${list}`,
          "--file=-",
          archive,
        ],
        env,
        { stdout: gzip, signal, timeoutMs: config.stepTimeoutMs },
      );
    } catch (error) {
      gzip.destroy(error as Error);
      // The store may have finished a truncated file before the failure was known.
      await storing.catch(() => {});
      await store.delete(key).catch(() => {});
      throw error;
    }
    const stored = await storing;
    return { ...stored, databaseSizeBytes: sizeBytes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function serverFacts(project: ProjectCredentials) {
  const client = new pg.Client(project.direct);
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT current_setting('server_version_num')::int AS version, pg_database_size(current_database())::text AS size",
    );
    return { versionNum: rows[0].version as number, sizeBytes: Number(rows[0].size) };
  } finally {
    await client.end();
  }
}
