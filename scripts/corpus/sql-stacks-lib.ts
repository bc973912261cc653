/**
 * Shared pieces of the SQL-stack capture scripts (scripts/corpus/sql-stacks-*.ts, run through
 * scripts/corpus/sql-stacks.ts): a fresh platform-shaped project per case, the template app
 * (knex, pg, sequelize, typeorm, kysely, postgres.js, express, pino installed once), and the extra
 * PgBouncers a few cases need (tiny limits; no prepared-statement tracking).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { CAPTURED_DIR, type CaptureSpec, capture, type Stack } from "./capture.js";
import { dropPlatformProject, type PlatformProject, platformProject } from "./platform-project.js";

export const TEMPLATE = process.env.SQL_TEMPLATE ?? "/tmp/corpus-templates/sql-stacks";

/** Installs the template app once (node_modules with every SQL stack in it). */
export function ensureTemplate(): void {
  if (existsSync(path.join(TEMPLATE, "node_modules/typeorm"))) return;
  mkdirSync(TEMPLATE, { recursive: true });
  writeFileSync(
    path.join(TEMPLATE, "package.json"),
    '{ "name": "app", "version": "1.0.0", "private": true, "type": "commonjs" }\n',
  );
  execFileSync(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "knex@3",
      "pg@8",
      "sequelize@6",
      "sequelize-cli@6",
      "typeorm@0.3",
      "reflect-metadata",
      "kysely@0.28",
      "postgres@3",
      "express@4",
      "pino@9",
    ],
    { cwd: TEMPLATE, stdio: "inherit" },
  );
}

export type Ctx = {
  project: PlatformProject;
  port: number;
  /** Runs SQL as the superuser in the project's database (setup outside the app). */
  su(sql: string): void;
  /** A URL like `url` on another port (one of the extra PgBouncers). */
  onPort(url: string, port: number): string;
  /** A URL like `url` with another password. */
  withPassword(url: string, password: string): string;
};

export type CaseDef = Omit<CaptureSpec, "id" | "stack" | "template" | "scrub"> & {
  extraScrub?: string[];
};

export type Case = { id: string; build: (ctx: Ctx) => CaseDef | Promise<CaseDef> };

function su(database: string, sql: string): void {
  execFileSync(
    "psql",
    ["-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-qc", sql],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

/** Runs the cases of one stack whose id contains `filter`, each on a freshly provisioned project. */
export async function runCases(
  file: string,
  stack: Stack,
  cases: Case[],
  filter = "",
): Promise<void> {
  ensureTemplate();
  const ids = new Set<string>();
  for (const c of cases) {
    if (ids.has(c.id)) throw new Error(`duplicate id ${c.id}`);
    ids.add(c.id);
  }
  pruneRemoved(file, ids);
  const slug = `sqlc-${file.slice(0, 6)}`;
  let project: PlatformProject | undefined;
  for (const c of cases) {
    if (!c.id.includes(filter)) continue;
    const current = freshProject(slug, project);
    project = current;
    const ctx: Ctx = {
      project: current,
      port: 20000 + Math.floor(Math.random() * 20000),
      su: (sql) => su(current.database, sql),
      onPort: (url, port) => {
        const u = new URL(url);
        u.port = String(port);
        return u.toString();
      },
      withPassword: (url, password) => {
        const u = new URL(url);
        u.password = password;
        return u.toString();
      },
    };
    const def = await c.build(ctx);
    const { extraScrub, env, ...rest } = def;
    try {
      const out = await capture(file, {
        ...rest,
        id: c.id,
        stack,
        // node_modules hard-linked from the template (a copy of it takes long on a busy disk).
        prepare: [
          `cp -al ${JSON.stringify(path.join(TEMPLATE, "node_modules"))} node_modules`,
          ...(rest.prepare ?? []),
        ],
        env: {
          NODE_ENV: "production",
          DATABASE_URL: project.databaseUrl,
          DIRECT_URL: project.directUrl,
          PORT: String(ctx.port),
          ...env,
        },
        scrub: [...project.names, ...(extraScrub ?? [])],
      });
      console.log(`ok ${c.id} exit=${out.exitCode} lines=${out.log.split("\n").length}`);
    } catch (error) {
      console.error(`FAILED ${c.id}: ${(error as Error).message.slice(0, 3000)}`);
    }
  }
}

/**
 * The project's database emptied for the next case: its tables, views, sequences and types
 * dropped, the role's connection limit lifted; provisioned again (drop + provision) only when the
 * lookup function PgBouncer needs is gone (a case ran DROP SCHEMA public CASCADE) or on first use.
 */
function freshProject(slug: string, previous: PlatformProject | undefined): PlatformProject {
  if (previous) {
    const out = execFileSync(
      "psql",
      [
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        previous.database,
        "-Atc",
        "SELECT to_regprocedure('public.user_lookup(text)') IS NOT NULL",
      ],
      { encoding: "utf8" },
    ).trim();
    if (out === "t") {
      su(
        "postgres",
        `ALTER ROLE "${previous.role}" CONNECTION LIMIT -1; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${previous.role}'`,
      );
      su(
        previous.database,
        `DO $$ DECLARE r record; BEGIN
          FOR r IN SELECT viewname FROM pg_views WHERE schemaname = 'public' LOOP EXECUTE 'DROP VIEW IF EXISTS public.' || quote_ident(r.viewname) || ' CASCADE'; END LOOP;
          FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE 'DROP TABLE IF EXISTS public.' || quote_ident(r.tablename) || ' CASCADE'; END LOOP;
          FOR r IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' LOOP EXECUTE 'DROP SEQUENCE IF EXISTS public.' || quote_ident(r.sequencename) || ' CASCADE'; END LOOP;
          FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP EXECUTE 'DROP TYPE IF EXISTS public.' || quote_ident(r.typname) || ' CASCADE'; END LOOP;
        END $$;`,
      );
      return previous;
    }
  }
  try {
    dropPlatformProject(slug);
  } catch {}
  return platformProject(slug);
}

/** Drops cases from the file whose ids the script no longer defines (a renamed or removed case). */
function pruneRemoved(file: string, ids: Set<string>): void {
  const target = path.join(CAPTURED_DIR, `${file}.jsonl`);
  if (!existsSync(target)) return;
  const lines = readFileSync(target, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => ids.has(JSON.parse(l).id));
  if (kept.length !== lines.length) writeFileSync(target, `${kept.join("\n")}\n`);
}

const BOUNCER_DIR = "/tmp/corpus-bouncers";

/**
 * An extra PgBouncer 1.24 in front of the local Postgres, authenticating as the platform's does
 * (auth_query on public.user_lookup as pgbouncer_auth), started once per kind on a fixed port:
 * `tiny` (max_client_conn 4, one server connection per pool, query_wait_timeout 3s) and `noprep`
 * (transaction mode with max_prepared_statements = 0, as a pooler without prepared-statement
 * support behaves).
 */
export function extraBouncer(kind: "tiny" | "noprep"): number {
  const port = kind === "tiny" ? 6451 : 6452;
  try {
    execFileSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" });
    return port;
  } catch {}
  const dir = path.join(BOUNCER_DIR, kind);
  mkdirSync(dir, { recursive: true });
  const password = readFileSync(
    path.join(
      process.env.DATA_DIR ?? path.join(homedir(), ".coduck-worker"),
      "pgbouncer-auth-password",
    ),
    "utf8",
  ).trim();
  writeFileSync(path.join(dir, "userlist.txt"), `"pgbouncer_auth" "${password}"\n`);
  const limits =
    kind === "tiny"
      ? [
          "max_client_conn = 4",
          "default_pool_size = 1",
          "query_wait_timeout = 3",
          "max_prepared_statements = 100",
        ]
      : ["max_client_conn = 200", "default_pool_size = 5", "max_prepared_statements = 0"];
  writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      "* = host=127.0.0.1 port=5432",
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      `logfile = ${dir}/pgbouncer.log`,
      `pidfile = ${dir}/pgbouncer.pid`,
      "pool_mode = transaction",
      "auth_type = scram-sha-256",
      `auth_file = ${dir}/userlist.txt`,
      "auth_user = pgbouncer_auth",
      "auth_query = SELECT usename, passwd FROM public.user_lookup($1)",
      "ignore_startup_parameters = extra_float_digits,options",
      ...limits,
      "",
    ].join("\n"),
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync("chown", ["-R", "postgres", dir]);
  execFileSync(
    process.env.PGBOUNCER_BIN ?? "/opt/coduck/pgbouncer/bin/pgbouncer",
    ["-d", ...(asRoot ? ["-u", "postgres"] : []), path.join(dir, "pgbouncer.ini")],
    { stdio: "inherit" },
  );
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" });
      return port;
    } catch {
      execFileSync("sleep", ["0.05"]);
    }
  }
  throw new Error(`extra PgBouncer ${kind} did not start (see ${dir}/pgbouncer.log)`);
}

/**
 * A runtime command: starts the server, sends it `requests` (paths, one after another, with
 * `gap` seconds between) and leaves it running until the case's timeout.
 */
/** Waits (up to 15s) until the server answers on $PORT, as the platform's health check does. */
export const READY =
  'for _ in $(seq 75); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done';

export function serveAndHit(start: string, requests: string[], gap = 0.3): string {
  const hits = requests
    .map(
      (p) =>
        `curl -s -o /dev/null -X ${p.startsWith("POST ") ? "POST" : "GET"} "http://127.0.0.1:$PORT${p.replace(/^(POST|GET) /, "")}"; sleep ${gap}`,
    )
    .join("; ");
  return `${start} & S=$!; ${READY}; ${hits}; wait $S`;
}
