import pg from "pg";
import { isConnectionErrorCode } from "../connection-errors.js";
import type { FailureCode } from "../failures/codes.js";
import { ensureProjectDatabase, type ProvisionDeps } from "./provision-project.js";

const LOGIN_TIMEOUT_MS = 10_000;

export type DatabasePathProof =
  | { ok: true; actions: string[] }
  | { ok: false; code: FailureCode; detail: string; evidence: string };

/**
 * Proves, right before a release goes live, that it can reach its database the way it will:
 * PgBouncer's lookup is verified (and repaired) again, since a preStart may have dropped it
 * (DROP SCHEMA public CASCADE), and then the worker logs in through PgBouncer as the project's
 * role with the release's own DATABASE_URL and runs one query. A PgBouncer whose auth_query
 * does not fit the lookup function fails here ("bouncer config error") instead of on every
 * query of a release that went live.
 */
export async function proveDatabasePath(
  deps: ProvisionDeps,
  slug: string,
  pooledUrl: string,
): Promise<DatabasePathProof> {
  const database = await ensureProjectDatabase(deps, slug);
  if (!deps.config.pgbouncer.loginCheck) return { ok: true, actions: database.actions };
  const client = new pg.Client({
    connectionString: pooledUrl,
    connectionTimeoutMillis: LOGIN_TIMEOUT_MS,
    application_name: "coduck-worker go-live check",
  });
  client.on("error", () => {}); // reported by connect() or query()
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { ok: true, actions: database.actions };
  } catch (error) {
    const message = (error as Error).message;
    return {
      ok: false,
      code: loginFailureCode(error as Error & { code?: string }),
      detail: `logging in through PgBouncer as the project's role failed: ${message}`,
      evidence: message,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

/** What a refused login through PgBouncer means: its own words first, then Postgres's code. */
function loginFailureCode(error: Error & { code?: string }): FailureCode {
  if (/bouncer config error/i.test(error.message)) return "BOUNCER_CONFIG_ERROR";
  if (isConnectionErrorCode(error)) return "DATABASE_UNREACHABLE";
  if (/timeout/i.test(error.message)) return "DATABASE_UNREACHABLE";
  if (error.code === "28P01" || error.code === "28000") return "DATABASE_AUTH_FAILED";
  return "BOUNCER_CONFIG_ERROR";
}
