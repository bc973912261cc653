import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { ResilientPool } from "./resilient-pool.js";

export type Db = PrismaClient;

/**
 * The worker's own database, through Prisma's JS query engine on node-postgres. With
 * `onRetry` (the long-running worker), connections and statements are retried while Postgres is
 * unreachable (see ResilientPool), and `onRetry` hears of each retry; without it (the CLI), an
 * unreachable database fails at once.
 */
export function connectDb(databaseUrl: string, onRetry?: (error: unknown) => void): Db {
  const config = { connectionString: databaseUrl, max: 10 };
  const adapter = onRetry
    ? new PrismaPg(new ResilientPool(config, onRetry), { disposeExternalPool: true })
    : new PrismaPg(config);
  return new PrismaClient({ adapter });
}
