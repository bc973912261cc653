import pg from "pg";
import type { Config } from "../config.js";

/**
 * A bare node-postgres pool of one connection to the worker's database, for a CLI command
 * whose statements are plain SQL (store/sql-transaction.ts's SqlDb): such a command never
 * loads Prisma's client, whose loading and first queries cost more than half a second.
 */
export function commandPool(config: Config): pg.Pool {
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  // A connection the server closed while idle: the next statement reports it, if there is one.
  pool.on("error", () => {});
  return pool;
}

/** Runs a command that only reads, on commandPool, and closes the pool afterwards. */
export async function withPool<T>(config: Config, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = commandPool(config);
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
