import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { ResilientPool } from "./resilient-pool.js";

export type Db = PrismaClient;

/**
 * The worker's own database, through Prisma's JS query engine on node-postgres. While Postgres
 * is unreachable, connections and statements are retried (see ResilientPool); `onRetry` hears
 * of each retry.
 */
export function connectDb(databaseUrl: string, onRetry?: (error: unknown) => void): Db {
  const pool = new ResilientPool({ connectionString: databaseUrl, max: 10 }, onRetry);
  return new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
}
