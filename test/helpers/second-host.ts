import { createDebianCluster, type DebianCluster } from "./debian-cluster.js";
import { type PgBouncer, startPgBouncer } from "./pgbouncer.js";
import { createTestStack, TEST_PGBOUNCER_AUTH_PASSWORD, type TestStack } from "./test-worker.js";

/**
 * Another host of the same installation, on this machine: what a second worker machine would
 * have of its own — a Postgres cluster (Debian's pg_createcluster, on its own port), a PgBouncer
 * in front of it, a DATA_DIR, an app router port (APPS_HTTP_PORT), a HOST_ID — and what every
 * host shares with the first: the worker's database (DATABASE_URL), Redis and its QUEUE_PREFIX,
 * and SECRETS_KEY. Project databases keep the first stack's PROJECT_DATABASE_PREFIX, so a
 * project's database has the same name on either cluster and only where it exists tells which
 * host provisioned it.
 */
export type SecondHost = TestStack & {
  hostId: string;
  cluster: DebianCluster;
  bouncer: PgBouncer;
};

export async function createSecondHost(
  first: TestStack,
  options: { hostId: string; overrides?: Record<string, string> },
): Promise<SecondHost> {
  const started = Date.now();
  const cluster = await createDebianCluster();
  let bouncer: PgBouncer | null = null;
  try {
    bouncer = await startPgBouncer({
      authPassword: TEST_PGBOUNCER_AUTH_PASSWORD,
      targetPort: cluster.port,
    });
    const stack = await createTestStack({
      DATABASE_URL: first.env.DATABASE_URL!,
      ...redisSettings(first.env),
      QUEUE_PREFIX: first.env.QUEUE_PREFIX!,
      SECRETS_KEY: first.env.SECRETS_KEY!,
      PROJECT_DATABASE_PREFIX: first.env.PROJECT_DATABASE_PREFIX!,
      HOST_ID: options.hostId,
      ADMIN_DATABASE_URL: cluster.url("postgres"),
      DIRECT_DATABASE_PORT: String(cluster.port),
      PGBOUNCER_PORT: String(bouncer.port),
      // Its own PgBouncer listens: the go-live login through it is made, as on a real host.
      PGBOUNCER_LOGIN_CHECK: "on",
      ...options.overrides,
    });
    const ownBouncer = bouncer;
    if (process.env.TEST_LOG_TIMINGS === "1")
      console.log(`second host ${options.hostId}: ready in ${Date.now() - started} ms`);
    return {
      ...stack,
      hostId: options.hostId,
      cluster,
      bouncer: ownBouncer,
      async close() {
        try {
          await stack.close();
        } finally {
          await ownBouncer.stop().catch(() => {});
          await cluster.drop();
        }
      },
    };
  } catch (error) {
    await bouncer?.stop().catch(() => {});
    await cluster.drop().catch(() => {});
    throw error;
  }
}

/** The first stack's Redis settings, whichever it uses (one server, Sentinel or Cluster). */
function redisSettings(env: Record<string, string>): Record<string, string> {
  const names = [
    "REDIS_URL",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_NAME",
    "REDIS_SENTINEL_PASSWORD",
    "REDIS_CLUSTER_NODES",
  ];
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}
