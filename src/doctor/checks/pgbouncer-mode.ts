import type pg from "pg";
import { type Check, type CheckResult, fail, ok, warn } from "../check.js";
import type { DoctorContext } from "../doctor-context.js";
import { projectPooledUrl } from "./pgbouncer-lookup.js";

// PgBouncer has had max_prepared_statements (named prepared statements in transaction mode)
// since 1.21.
const PREPARED_SINCE = [1, 21] as const;
const STATS_USERS_FIX =
  "add pgbouncer_auth to stats_users in pgbouncer.ini (read-only SHOW commands on its console) so doctor reads PgBouncer's version and settings instead of inferring them";

/**
 * PgBouncer runs the way the platform promises apps: pool_mode transaction, and when
 * PGBOUNCER_MAX_PREPARED_STATEMENTS > 0, version 1.21 or later with that max_prepared_statements.
 * Read from PgBouncer's console as pgbouncer_auth (SHOW VERSION, SHOW CONFIG), which needs
 * pgbouncer_auth in stats_users; without that, inferred by logging in as a project's role (the
 * auth_query lookup, as the app does): whether a server connection follows a client between
 * transactions, and whether a named prepared statement survives a change of server connection.
 */
export const pgbouncerMode: Check = {
  name: "pgbouncer-mode",
  async run(ctx) {
    const expected = ctx.config.pgbouncer.maxPreparedStatements;
    const consoleRead = await readConsole(ctx).catch((error: Error) => error);
    if (!(consoleRead instanceof Error)) return judgeConsole(consoleRead, expected);
    const login = await projectPooledUrl(ctx).catch(() => null);
    if (!login) {
      return warn(
        `PgBouncer's version and settings were not checked: its console refused pgbouncer_auth (${consoleRead.message}) and no provisioned project can log in to infer them`,
        STATS_USERS_FIX,
      );
    }
    try {
      return await infer(ctx, login, expected);
    } catch (error) {
      return warn(
        `PgBouncer's pooling was not checked: its console refused pgbouncer_auth (${consoleRead.message}), and as project ${login.slug}'s role: ${(error as Error).message.replaceAll(login.password, "*****")}`,
        "see the pgbouncer check",
      );
    }
  },
};

type ConsoleRead = { version: string; poolMode: string; maxPrepared: number | null };

async function readConsole(ctx: DoctorContext): Promise<ConsoleRead> {
  const { host, port, authPassword } = ctx.config.pgbouncer;
  if (!authPassword) throw new Error("PGBOUNCER_AUTH_PASSWORD is not set");
  const url = new URL(`postgresql://${host.includes(":") ? `[${host}]` : host}:${port}/pgbouncer`);
  url.username = "pgbouncer_auth";
  url.password = encodeURIComponent(authPassword);
  return ctx.withPostgres(url.toString(), async (client) => {
    const version = (await client.query<{ version: string }>("SHOW VERSION")).rows[0]!.version;
    const config = await client.query<{ key: string; value: string }>("SHOW CONFIG");
    const setting = (key: string) => config.rows.find((row) => row.key === key)?.value;
    const maxPrepared = setting("max_prepared_statements");
    return {
      version,
      poolMode: setting("pool_mode") ?? "unknown",
      maxPrepared: maxPrepared === undefined ? null : Number(maxPrepared),
    };
  });
}

function judgeConsole(read: ConsoleRead, expected: number): CheckResult {
  const found = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(read.version);
  const version = found ? [Number(found[1]), Number(found[2])] : null;
  const prepared = read.maxPrepared ?? 0;
  const said = `${read.version}, pool_mode ${read.poolMode}, max_prepared_statements ${read.maxPrepared ?? "(none: before 1.21)"}`;
  if (read.poolMode !== "transaction") {
    return fail(
      `${said}: apps are promised transaction pooling`,
      "set pool_mode = transaction in pgbouncer.ini and reload PgBouncer",
    );
  }
  if (expected > 0 && (!version || older(version, PREPARED_SINCE))) {
    return fail(
      `${said}: PGBOUNCER_MAX_PREPARED_STATEMENTS=${expected} needs PgBouncer 1.21 or later, and apps' named prepared statements fail on this one`,
      "upgrade PgBouncer to 1.21 or later (scripts/setup-host.sh builds 1.24), or set PGBOUNCER_MAX_PREPARED_STATEMENTS=0 and have apps use unnamed statements (pgbouncer=true for Prisma)",
    );
  }
  if (expected > 0 && prepared === 0) {
    return fail(
      `${said}: PGBOUNCER_MAX_PREPARED_STATEMENTS=${expected}, but PgBouncer keeps no prepared statements, so apps' named ones fail`,
      `set max_prepared_statements = ${expected} in pgbouncer.ini and reload PgBouncer`,
    );
  }
  if (prepared !== expected) {
    return warn(
      `${said}: PGBOUNCER_MAX_PREPARED_STATEMENTS is ${expected}`,
      `set PGBOUNCER_MAX_PREPARED_STATEMENTS=${prepared} (what PgBouncer runs with), or max_prepared_statements = ${expected} in pgbouncer.ini`,
    );
  }
  return ok(`${said}, as PGBOUNCER_MAX_PREPARED_STATEMENTS says (read from its console)`);
}

function older(version: number[], than: readonly number[]): boolean {
  return version[0]! < than[0]! || (version[0] === than[0] && version[1]! < than[1]!);
}

type Login = { url: string; slug: string; password: string };

const PID = "SELECT pg_backend_pid() AS pid";

/**
 * Two clients through PgBouncer as the project's role. A runs a statement and lets go; B opens a
 * transaction, taking the server connection A let go of (PgBouncer hands out the last one
 * released); A runs again. In session mode A keeps its server connection; in transaction mode
 * it gets another, and its named prepared statement works there only when PgBouncer keeps
 * prepared statements (1.21+, max_prepared_statements > 0).
 */
async function infer(ctx: DoctorContext, login: Login, expected: number): Promise<CheckResult> {
  return ctx.withPostgres(login.url, (a) =>
    ctx.withPostgres(login.url, async (b) => {
      const named = { name: "coduck_doctor_probe", text: PID };
      const first = await pidOf(a, named);
      await b.query("BEGIN");
      try {
        await pidOf(b, PID);
        let again: number;
        try {
          again = await pidOf(a, named);
        } catch (error) {
          const message = (error as Error).message;
          if (!/prepared statement .* does not exist/.test(message)) throw error;
          const how = `as project ${login.slug}'s role: transaction pooling, but a named prepared statement did not survive a change of server connection (${message})`;
          return expected > 0
            ? fail(
                `${how}, and PGBOUNCER_MAX_PREPARED_STATEMENTS=${expected}`,
                "run PgBouncer 1.21 or later with max_prepared_statements set (scripts/setup-host.sh builds 1.24), or set PGBOUNCER_MAX_PREPARED_STATEMENTS=0",
              )
            : ok(`${how}, as PGBOUNCER_MAX_PREPARED_STATEMENTS=0 says; ${STATS_USERS_FIX}`);
        }
        if (again === first) {
          return fail(
            `as project ${login.slug}'s role: a client keeps its server connection between transactions, so PgBouncer is not in transaction mode`,
            "set pool_mode = transaction in pgbouncer.ini and reload PgBouncer",
          );
        }
        const how = `as project ${login.slug}'s role: transaction pooling, and a named prepared statement survived a change of server connection`;
        return expected > 0
          ? ok(
              `${how} (PgBouncer 1.21+ with max_prepared_statements); inferred: ${STATS_USERS_FIX}`,
            )
          : warn(
              `${how}, though PGBOUNCER_MAX_PREPARED_STATEMENTS=0`,
              "set PGBOUNCER_MAX_PREPARED_STATEMENTS to PgBouncer's max_prepared_statements",
            );
      } finally {
        await b.query("ROLLBACK");
      }
    }),
  );
}

async function pidOf(client: pg.Client, query: string | pg.QueryConfig): Promise<number> {
  const result = await client.query<{ pid: number }>(query);
  return result.rows[0]!.pid;
}
