import pg from "pg";
import { adminUrl } from "./admin-session.js";

const pools = new Map<string, pg.Pool>();

/** Whether this process keeps admin connections to that database (it verified it before). */
export function hasProjectConnection(serverUrl: string, database: string): boolean {
  return pools.has(adminUrl(serverUrl, database));
}

/**
 * Runs work on a kept admin connection to a project database: every deploy verifies its
 * project's lookup objects, and opening a connection each time would cost more than the check.
 * The connections are admin sessions (adminUrl: search_path pinned). Idle connections close
 * after 30 s and never keep the process alive; a connection that failed (its database dropped,
 * the server restarted) is discarded.
 */
export async function withProjectConnection<T>(
  serverUrl: string,
  database: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const url = adminUrl(serverUrl, database);
  let pool = pools.get(url);
  if (!pool) {
    pool = new pg.Pool({
      connectionString: url,
      max: 2,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
    });
    pool.on("error", () => {}); // an idle connection terminated by the server; the pool drops it
    pools.set(url, pool);
  }
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    client.release(failure);
  }
}
