/**
 * A project database shaped exactly as the platform's, for capture scripts: provisioned by the
 * real worker (`coduck-worker provision`) behind a real PgBouncer 1.24 in transaction mode with
 * max_prepared_statements = 100 (scripts/local-pgbouncer.sh, on PGBOUNCER_PORT, default 6432).
 * The worker's own database must be migrated first (`npm run db:migrate`).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const DATA_DIR = process.env.DATA_DIR ?? path.join(homedir(), ".coduck-worker");

export type PlatformProject = {
  slug: string;
  /** The pooled URL the app gets (PgBouncer, transaction mode). */
  databaseUrl: string;
  /** The direct URL (Postgres itself). */
  directUrl: string;
  database: string;
  role: string;
  /** The names to scrub from a captured log. */
  names: string[];
};

function worker(args: string[]): string {
  return execFileSync("node", [path.join(ROOT, "bin/coduck-worker.js"), ...args], {
    cwd: ROOT,
    env: workerEnv(),
    encoding: "utf8",
  });
}

function workerEnv(): NodeJS.ProcessEnv {
  mkdirSync(DATA_DIR, { recursive: true });
  const passwordFile = path.join(DATA_DIR, "pgbouncer-auth-password");
  execFileSync("bash", [path.join(ROOT, "scripts/local-pgbouncer.sh"), passwordFile], {
    stdio: "ignore",
  });
  const password = execFileSync("cat", [passwordFile], { encoding: "utf8" }).trim();
  return {
    ...process.env,
    DIRECT_DATABASE_PORT: process.env.DIRECT_DATABASE_PORT ?? "5432",
    PGBOUNCER_AUTH_PASSWORD: process.env.PGBOUNCER_AUTH_PASSWORD ?? password,
    LOG_LEVEL: "silent",
  };
}

/** Provisions (or verifies) the project's database and returns its URLs with the password. */
export function platformProject(slug: string): PlatformProject {
  worker(["provision", "--project", slug]);
  const info = JSON.parse(
    worker(["db", "info", "--project", slug, "--show-secrets", "--json"]),
  ) as { databaseUrl: string; directUrl: string; database: string; role: string };
  const url = new URL(info.databaseUrl);
  return {
    slug,
    databaseUrl: info.databaseUrl,
    directUrl: info.directUrl,
    database: info.database,
    role: info.role,
    names: [info.database, info.role, decodeURIComponent(url.password), slug],
  };
}

/** Drops the project's database and role (for a case that needs an empty one again). */
export function dropPlatformProject(slug: string): void {
  worker(["db", "drop", "--project", slug, "--confirm", slug]);
}
