import path from "node:path";
import { execa } from "execa";
import type { Config } from "../config.js";

export type PgTool = "pg_dump" | "pg_restore" | "psql";

/** A Postgres client tool: from PG_BIN_DIR when set, else from PATH. */
export function pgTool(config: Pick<Config, "pgBinDir">, tool: PgTool): string {
  return config.pgBinDir ? path.join(config.pgBinDir, tool) : tool;
}

/** Connection settings for a tool, as environment, so the password is never in argv (`ps`). */
export type PgConnection = {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
};

/**
 * The environment a Postgres tool runs with: where to connect and nothing of the worker's own
 * (its DATABASE_URL, keys, or a PGPASSWORD of its own environment).
 */
export function pgToolEnv(
  connection: PgConnection,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    PGHOST: connection.host,
    PGPORT: String(connection.port),
    PGDATABASE: connection.database,
    PGUSER: connection.user,
    PGPASSWORD: connection.password,
    PGAPPNAME: "coduck-worker",
    PGCONNECT_TIMEOUT: "10",
    ...extra,
  };
}

/** The major version a tool reports (`pg_dump (PostgreSQL) 15.20 (Debian …)` → 15). */
export async function pgToolMajor(config: Pick<Config, "pgBinDir">, tool: PgTool) {
  const file = pgTool(config, tool);
  const result = await execa(file, ["--version"], { reject: false, extendEnv: false });
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(result.stdout ?? "");
  if (result.failed || !match) {
    throw new Error(
      `${file} could not be run (${result.shortMessage ?? "no version"}): install the Postgres client tools, or set PG_BIN_DIR`,
    );
  }
  // Before 10 the major was two numbers (9.6).
  const major = Number(match[1]);
  return major < 10 ? major + Number(match[2] ?? 0) / 10 : major;
}

/** Server majors from `server_version_num` (150020 → 15, 90624 → 9.6). */
export function serverMajor(versionNum: number): number {
  return versionNum >= 100_000
    ? Math.floor(versionNum / 10_000)
    : Math.floor(versionNum / 10_000) + Math.floor((versionNum % 10_000) / 100) / 10;
}

/**
 * pg_dump refuses (or worse, half-understands) a server newer than itself: its major must be at
 * least the server's. Throws an error saying which to install.
 */
export async function assertPgDumpCanDump(
  config: Pick<Config, "pgBinDir">,
  serverVersionNum: number,
): Promise<void> {
  const tool = await pgToolMajor(config, "pg_dump");
  const server = serverMajor(serverVersionNum);
  if (tool < server) {
    throw new Error(
      `pg_dump ${tool} cannot dump the project's Postgres ${server} server: install postgresql-client-${server} (or newer) and point PG_BIN_DIR at its bin directory`,
    );
  }
}
