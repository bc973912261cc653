import { childEnv } from "../../src/exec/child-env.js";

/**
 * The environment of a baseline script: exactly what the worker gives an app's commands
 * (exec/child-env), plus libpq's variables for psql, createuser and createdb.
 */
export function bareEnv(adminDatabaseUrl: string): Record<string, string> {
  const url = new URL(adminDatabaseUrl);
  return childEnv({
    PGHOST: url.hostname,
    PGPORT: url.port || "5432",
    PGUSER: decodeURIComponent(url.username) || "postgres",
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)) || "postgres",
  });
}
