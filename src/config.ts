import net from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { ConfigError } from "./errors.js";
import { DEFAULT_LIMITS } from "./exec/resource-limits.js";

const url = (protocols: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.map((p) => `${p}//`).join(" or ")} URL, for example ${example}`,
  );

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`);

const host = () =>
  z.string().regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "expected a host name or IP address");

const secret = () =>
  z
    .string()
    .min(16, "expected at least 16 characters (for example the output of: openssl rand -hex 32)");

/**
 * TRUST_PROXY: off (unset, `false`, `0`); a number of proxy hops (`1`: whatever connects to
 * HTTP_PORT is the proxy, so nothing else may reach that port); or a comma-separated list of
 * the proxies' addresses and CIDRs (`loopback`, `linklocal` and `uniquelocal` name ranges).
 * Never "every hop" (`true`): the client's own X-Forwarded-For would then be its address.
 */
export type TrustProxy = false | number | string[];
const PROXY_RANGES = ["loopback", "linklocal", "uniquelocal"];
const trustProxy = () =>
  z
    .string()
    .trim()
    .default("")
    .transform((value, ctx): TrustProxy => {
      if (value === "" || value === "false" || value === "0") return false;
      if (/^\d{1,2}$/.test(value)) return Number(value);
      const entries = value.split(",").map((entry) => entry.trim());
      const bad = entries.find((entry) => !PROXY_RANGES.includes(entry) && !isAddressOrCidr(entry));
      if (bad === undefined) return entries;
      ctx.addIssue({
        code: "custom",
        message:
          "expected a number of proxy hops (1: the proxy is what connects), or a comma-separated list of proxy addresses or CIDRs (e.g. 127.0.0.1,10.0.0.0/8)",
      });
      return z.NEVER;
    });

function isAddressOrCidr(entry: string): boolean {
  const [address = "", bits, ...rest] = entry.split("/");
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128);
}

/** A host id: what HOST_ID accepts, and what names a host's queues (`deploys@<id>`). */
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A Redis Sentinel or Cluster node, from `host:port` (`[IPv6]:port`). */
export type RedisNode = { host: string; port: number };

/** A comma-separated list of `host:port` (REDIS_SENTINELS, REDIS_CLUSTER_NODES). */
const redisNodes = (example: string) =>
  z.string().transform((value, ctx): RedisNode[] => {
    const nodes = value.split(",").map((entry) => parseRedisNode(entry.trim()));
    if (nodes.every((node) => node !== null)) return nodes as RedisNode[];
    ctx.addIssue({
      code: "custom",
      message: `expected a comma-separated list of host:port, for example ${example}`,
    });
    return z.NEVER;
  });

function parseRedisNode(entry: string): RedisNode | null {
  const match = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) return null;
  return { host: match[1] ?? match[2]!, port };
}

const DAY_MS = 24 * 3600 * 1000;
/**
 * bwrap (the default): app commands run in bubblewrap, and the worker refuses to start where it
 * does not work; off: no sandbox, only when set explicitly, and then shown on every deployment.
 * There is no fallback between them (the former `auto` is refused, see SANDBOX below).
 */
export const SANDBOX_MODES = ["bwrap", "off"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Every environment variable the worker reads, with defaults that work against the local
 * services and, in `.describe()`, what it means: docs/reference/configuration.md is generated
 * from this (npm run docs).
 */
export const envSchema = z.object({
  REDIS_URL: url(["redis:", "rediss:"], "redis://127.0.0.1:6379")
    .default("redis://127.0.0.1:6379")
    .describe(
      "the queue's Redis (needs `maxmemory-policy noeviction`). With `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` set, only its user, password, database (`/N`, not on a Cluster) and TLS (`rediss:`) are used: the servers are found through those",
    ),
  REDIS_SENTINELS: redisNodes("10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379")
    .optional()
    .describe(
      "Redis Sentinel: the Sentinels (comma-separated `host:port`s); the worker asks them for the primary named `REDIS_SENTINEL_NAME` and follows it through a failover",
    ),
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, "expected a name of letters, digits, '.', '_' or '-'")
    .optional()
    .describe(
      "the name the Sentinels monitor the primary under (`sentinel monitor <name> …`); required with `REDIS_SENTINELS`",
    ),
  REDIS_SENTINEL_PASSWORD: z
    .string()
    .min(1, "expected the Sentinels' password")
    .optional()
    .describe("the Sentinels' own password (their `requirepass`), when they have one"),
  REDIS_CLUSTER_NODES: redisNodes("10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379")
    .optional()
    .describe(
      "Redis Cluster: some of its nodes (comma-separated `host:port`s; the others are discovered). The queues' keys then start `{QUEUE_PREFIX}`, a hash tag that keeps them in one slot, as BullMQ needs",
    ),
  DATABASE_URL: url(
    ["postgres:", "postgresql:"],
    "postgresql://postgres@127.0.0.1:5432/coduck_worker",
  )
    .default("postgresql://postgres@127.0.0.1:5432/coduck_worker")
    .describe("the worker's own database; created if missing by `coduck-worker migrate`"),
  WORKER_CONCURRENCY: integer(1, 64).default(2).describe("deploys one worker process runs at once"),
  DATA_DIR: z
    .string()
    .min(1, "expected a directory path")
    .default(defaultDataDir())
    .describe("where release directories (`releases/<project>/<deployment>-<attempt>`) live"),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` })
    .default("info")
    .describe("`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`"),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1 to 64 letters, digits, '_' or '-' (no ':')")
    .default("coduck")
    .describe(
      "Redis key prefix of the queues (no `:`), so several installations can share a Redis",
    ),
  HOST_ID: z
    .string()
    .regex(
      HOST_ID_PATTERN,
      "expected 1 to 63 lowercase letters, digits or '-', starting with a letter or digit (for example web-2)",
    )
    .optional()
    .describe(
      "this worker's host: the projects placed on it run here, from its own queues (`deploys@<HOST_ID>`, `housekeeping@<HOST_ID>`). Default: the machine's hostname up to its first dot, lowercased (any other character made `-`). Every worker sharing a DATABASE_URL needs its own",
    ),
  HOST_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.[\]:-]{1,253}:\d{1,5}$/, "expected host:port, for example 10.0.0.12:8080")
    .optional()
    .describe(
      "where the other hosts reach this host's app router (`host:port`); default `127.0.0.1:<APPS_HTTP_PORT>`, which only this machine reaches",
    ),
  HOST_DOWN_AFTER_SECONDS: integer(5, 24 * 3600)
    .default(30)
    .describe(
      "a host whose worker has not sent its heartbeat (every 5 s) for this long is reported `down`; its projects' jobs wait for it",
    ),
  HOST_MAX_PROJECTS: integer(1, 1_000_000)
    .default(500)
    .describe(
      "how many projects this host takes: placement picks the up host with the lowest share of it in use",
    ),
  STEP_TIMEOUT_SECONDS: integer(1, 24 * 3600)
    .default(15 * 60)
    .describe("how long one step may run before its process tree is stopped (`STEP_TIMEOUT`)"),
  STEP_SPOOL_MB: integer(0, 64 * 1024)
    .default(256)
    .describe(
      "how much of a step's output is kept on disk (in `DATA_DIR/spool`, unlinked at once) to be classified only if the step fails; past it, the output is classified as it comes. `0`: always as it comes, and stdout through a pipe rather than a file",
    ),
  SHUTDOWN_GRACE_SECONDS: integer(0, 3600)
    .default(30)
    .describe("how long SIGTERM waits for running steps before handing their deploys back"),
  RUNTIME_WATCH_SECONDS: integer(0, 24 * 3600)
    .default(60)
    .describe(
      "how long a release's output is watched after it goes live; a documented runtime failure marks the deployment degraded (`0` turns the watch off)",
    ),
  SANDBOX: z
    .enum(SANDBOX_MODES, {
      error: (issue) =>
        issue.input === "auto"
          ? "auto is no longer accepted: it ran app code unsandboxed where bubblewrap was missing; use bwrap (the default), or off to run app code unsandboxed on purpose"
          : `expected one of ${SANDBOX_MODES.join(", ")}`,
    })
    .default("bwrap")
    .describe(
      "where app commands run: `bwrap` (bubblewrap; the worker refuses to start, exit 2, where it does not work) or `off` (no sandbox: app code runs as the worker's user; only when set explicitly, and then said at start, by `doctor` and on every deployment). The former `auto`, which fell back to no sandbox, is refused",
    ),
  APP_UID_BASE: integer(1000, 2_000_000_000)
    .default(200_000)
    .describe(
      "the first uid (and gid) given to a project's app code; each project takes the next free one, once, up to 1,000,000 of them",
    ),
  JOB_LOCK_SECONDS: integer(1, 3600)
    .default(30)
    .describe(
      "a worker's hold on a job, renewed while it runs; the job of a worker that died goes to another within about twice this",
    ),
  RETRY_BASE_DELAY_MS: integer(100, 3_600_000)
    .default(2_000)
    .describe(
      "the delay before a deploy that failed for a passing reason is retried; each later retry doubles it (capped at 10 minutes)",
    ),

  ADMIN_DATABASE_URL: url(
    ["postgres:", "postgresql:"],
    "postgresql://postgres@127.0.0.1:5432/postgres",
  )
    .default("postgresql://postgres@127.0.0.1:5432/postgres")
    .describe(
      "the provisioning connection to the project cluster: a superuser (the PgBouncer lookup reads `pg_shadow`)",
    ),
  PGBOUNCER_HOST: host()
    .default("127.0.0.1")
    .describe("the PgBouncer host the projects' DATABASE_URL points at"),
  PGBOUNCER_PORT: integer(1, 65535)
    .default(6432)
    .describe("the PgBouncer port the projects' DATABASE_URL points at"),
  PGBOUNCER_MAX_PREPARED_STATEMENTS: integer(0, 100_000)
    .default(100)
    .describe(
      "PgBouncer's own setting; `0` (or PgBouncer < 1.21) adds `pgbouncer=true` to DATABASE_URL",
    ),
  PGBOUNCER_AUTH_PASSWORD: z
    .string()
    .min(8, "expected at least 8 characters")
    .optional()
    .describe(
      "when set, the worker gives `pgbouncer_auth` this password, so PgBouncer's `auth_file` can hold it",
    ),
  PGBOUNCER_LOOKUP_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lowercase schema name ([a-z_][a-z0-9_]*)")
    .default("public")
    .describe("where `user_lookup()` lives in each project database"),
  // Before go-live the worker logs in through PgBouncer as the project's role
  // (pipeline/steps/start.ts); off only where no PgBouncer runs (a test stack without one).
  PGBOUNCER_LOGIN_CHECK: z
    .enum(["on", "off"])
    .default("on")
    .describe(
      "before a release goes live, log in through PgBouncer as the project's role; `off` only where no PgBouncer runs (test stacks without one)",
    ),
  DIRECT_DATABASE_HOST: host()
    .default("127.0.0.1")
    .describe("the host the projects' DIRECT_URL points at"),
  DIRECT_DATABASE_PORT: integer(1, 65535)
    .default(5433)
    .describe(
      "the port the projects' DIRECT_URL points at (production's direct port; local runs and tests set 5432)",
    ),
  PROJECT_DATABASE_PREFIX: z
    .string()
    .regex(
      /^[a-z][a-z0-9]{0,11}$/,
      "expected 1 to 12 lowercase letters or digits, starting with a letter",
    )
    .default("prj")
    .describe("starts every project database and role name, so installations can share a cluster"),
  PROJECT_CONNECTION_LIMIT: integer(1, 1000)
    .default(20)
    .describe("`CONNECTION LIMIT` of each project role"),
  PROJECT_STORAGE_LIMIT_MB: integer(1, 10_000_000)
    .default(1024)
    .describe(
      "the soft storage limit; a deploy over it carries a warning, not a failure; crossing 80 % and 100 % records a warning on the project",
    ),
  SECRETS_KEY: z
    .string()
    .regex(
      /^(\d+:)?[A-Za-z0-9+/=_-]{43,44}(,(\d+:)?[A-Za-z0-9+/=_-]{43,44})*$/,
      "expected a base64 32-byte key, or a comma-separated list of version:key (newest first)",
    )
    .optional()
    .describe(
      "base64 32-byte AES-256-GCM key for stored passwords, or `version:key,…` newest first while rotating; unset: a key file `DATA_DIR/secrets.key`, made on first use. Set it on every worker machine in production",
    ),

  BACKUP_DIR: z
    .string()
    .min(1, "expected a directory path")
    .optional()
    .describe(
      "the backup store: `<project>/<backup id>.sql.gz`, files mode 0600; unset: `DATA_DIR/backups`",
    ),
  BACKUP_KEEP: integer(0, 10_000)
    .default(7)
    .describe(
      "retention: a project's newest N backups are kept (and any younger than `BACKUP_KEEP_DAYS`); the rest are pruned",
    ),
  BACKUP_KEEP_DAYS: integer(0, 3650)
    .default(7)
    .describe(
      "retention: a project's backups younger than this many days are kept (and the newest `BACKUP_KEEP`); the rest are pruned",
    ),
  BACKUP_PRUNE_EVERY_MINUTES: integer(1, 7 * 24 * 60)
    .default(60)
    .describe("how often the scheduled `prune-backups` job runs"),
  PG_BIN_DIR: z
    .string()
    .min(1, "expected a directory path")
    .optional()
    .describe(
      "where `pg_dump`, `pg_restore` and `psql` are (unset: found on `PATH`); `pg_dump`'s major must be at least the server's",
    ),

  HTTP_PORT: integer(1, 65535)
    .default(8080)
    .describe("where `serve` and `start --with-http` listen (all interfaces)"),
  GITHUB_WEBHOOK_SECRET: secret()
    .optional()
    .describe(
      "a global webhook secret (16+ characters, e.g. `openssl rand -hex 32`), used **only** with `WEBHOOK_GLOBAL_SECRET_FALLBACK=1`: each project verifies its pushes with its own secret",
    ),
  WEBHOOK_GLOBAL_SECRET_FALLBACK: z
    .enum(["0", "1"], {
      error:
        "expected 1 (GITHUB_WEBHOOK_SECRET verifies pushes of projects without a secret of their own) or 0",
    })
    .default("0")
    .describe(
      "`1`: `GITHUB_WEBHOOK_SECRET` also verifies the pushes of projects without a secret of their own (registered before projects had one), and pushes naming an unregistered repository then get 404 instead of 401. Never for a project with its own secret. With `1` and no `GITHUB_WEBHOOK_SECRET`, `serve` and `start --with-http` refuse to start (exit 2); both warn at start while the fallback is on",
    ),
  ADMIN_TOKEN: secret()
    .optional()
    .describe(
      "guards the dashboard (`/admin`) and the operator API (`/api`) (16+ characters, e.g. `openssl rand -hex 32`); unset, neither is served",
    ),
  TRUST_PROXY: trustProxy().describe(
    "the reverse proxy in front of `HTTP_PORT` whose `X-Forwarded-For`/`-Host`/`-Proto` count: a comma-separated list of its addresses or CIDRs (`127.0.0.1`, `10.0.0.0/8`; `loopback`, `linklocal`, `uniquelocal`), or a hop count (`1`: whatever connects is the proxy, so nothing else may reach the port); `0`/unset: forwarded headers are never read. Behind a TLS-terminating proxy set it so the session cookie is `Secure`",
  ),
  METRICS_TOKEN: secret()
    .optional()
    .describe(
      "when set, `GET /metrics` answers only `Authorization: Bearer <token>` (16+ characters); unset, it is open",
    ),
  WEBHOOK_MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024)
    .default(1024 * 1024)
    .describe("larger webhook bodies are refused with 413 before they are read in full"),

  APPS_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(
      /^(?=.{1,200}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/,
      "expected a DNS name such as apps.example.com (each project is served at <slug>.<APPS_DOMAIN>)",
    )
    .default("localhost")
    .describe(
      "each project's stable address is `<slug>.<APPS_DOMAIN>`; the default, `localhost`, works on this machine (`curl http://<slug>.localhost:8088/`)",
    ),
  APPS_HTTP_PORT: integer(1, 65535)
    .default(8088)
    .describe(
      "where the worker's own Caddy serves the projects' addresses (only when `CADDY_ADMIN` is unset), and the port in their URLs",
    ),
  APPS_URL_SCHEME: z
    .enum(["http", "https"], { error: "expected http or https" })
    .default("http")
    .describe(
      "the scheme of the projects' URLs: `https` where Caddy terminates TLS (production, with on-demand TLS asking `/caddy/ask`); with `https` the URLs carry no port",
    ),
  CADDY_ADMIN: z
    .string()
    .regex(
      /^(unix\/\/[^\0\s]+|[A-Za-z0-9.[\]:-]+:\d{1,5})$/,
      "expected unix//<socket path> or host:port of Caddy's admin API",
    )
    .optional()
    .describe(
      "the admin API of a Caddy the host runs (`unix//run/caddy/admin.sock` or `127.0.0.1:2019`); unset: the worker starts its own under `DATA_DIR/caddy`",
    ),
  SUPERVISOR_SOCKET: z
    .string()
    .regex(/^\/[^\0\s]+$/, "expected the absolute path of supervisord's unix socket")
    .optional()
    .describe(
      "the unix socket of a supervisord the host runs (its `[include]` must name `DATA_DIR/supervisor/programs/*.conf`); unset: the worker starts its own under `DATA_DIR/supervisor`",
    ),
  DRAIN_SECONDS: integer(0, 600)
    .default(5)
    .describe(
      "after traffic moves to a new release, how long the previous one keeps running so requests in flight complete",
    ),
  RELEASE_START_SECONDS: integer(1, 600)
    .default(3)
    .describe(
      "a release process that lives this long counts as started; one that dies sooner is restarted with backoff (supervisord's `startsecs`)",
    ),
  RELEASE_START_RETRIES: integer(0, 100)
    .default(3)
    .describe(
      "quick deaths in a row supervisord retries before it gives up and the project shows `crashed` (`startretries`)",
    ),
  BOX_MEMORY_MB: integer(64, 1024 * 1024)
    .default(DEFAULT_LIMITS.memoryBytes / (1024 * 1024))
    .describe(
      "memory of each box (an install, build or preStart command, a release), swap included; a project can have its own (`projects set --memory-mb`)",
    ),
  BOX_PIDS: integer(16, 1_000_000)
    .default(DEFAULT_LIMITS.pids)
    .describe("processes and threads each box may have at once (`projects set --pids`)"),
  BOX_CPU_SHARES: integer(2, 262_144)
    .default(DEFAULT_LIMITS.cpuShares)
    .describe(
      "each box's CPU share when the CPU is contended (cgroup v1 `cpu.shares`: against other boxes and the host's other processes alike, 1024 weighing one process; v2: against the other boxes; `projects set --cpu-shares`)",
    ),

  KEEP_RELEASES: integer(1, 1000)
    .default(5)
    .describe(
      "release directories kept per project by `prune-releases`, besides the live one and those of deploys still queued or running",
    ),
  LOG_RETENTION_DAYS: integer(1, 36_500)
    .default(30)
    .describe(
      "`prune-logs` deletes the stored logs of steps that ended longer ago (the live deployment's are kept)",
    ),
  JOB_RETENTION_DAYS: integer(1, 36_500)
    .default(7)
    .describe("`clean-jobs` removes completed and failed BullMQ jobs that finished longer ago"),
  BUILD_CACHE_MAX_MB: integer(0, 1_000_000)
    .default(1024)
    .describe(
      "a project's build caches (`.next/cache`, `node_modules/.vite`, `node_modules/.cache`, TypeScript's incremental state) are kept between its builds only while they take at most this much; `0`: never kept",
    ),
  NODE_MODULES_CACHE_MAX_MB: integer(0, 1_000_000)
    .default(4096)
    .describe(
      "a project's installed node_modules are kept for its next deploy with the same lockfile only while the kept copy takes at most this much (hard links counted once); `0`: never kept",
    ),
  CACHE_MAX_AGE_DAYS: integer(1, 36_500)
    .default(30)
    .describe(
      "`prune-caches` removes a project's kept node_modules and build caches, and packages of the shared package store, not used for this many days",
    ),
  PRUNE_RELEASES_EVERY_MINUTES: integer(0, 7 * 24 * 60)
    .default(60)
    .describe(
      "how often `prune-releases` is scheduled; `0`: never (run it with `housekeeping run`)",
    ),
  PRUNE_LOGS_EVERY_MINUTES: integer(0, 7 * 24 * 60)
    .default(24 * 60)
    .describe("how often `prune-logs` is scheduled; `0`: never (run it with `housekeeping run`)"),
  CLEAN_JOBS_EVERY_MINUTES: integer(0, 7 * 24 * 60)
    .default(60)
    .describe("how often `clean-jobs` is scheduled; `0`: never (run it with `housekeeping run`)"),
  PRUNE_CACHES_EVERY_MINUTES: integer(0, 7 * 24 * 60)
    .default(24 * 60)
    .describe("how often `prune-caches` is scheduled; `0`: never (run it with `housekeeping run`)"),
});

/** The worker's settings as the code reads them: grouped, in milliseconds and bytes, paths resolved. */
const configSchema = envSchema.superRefine(checkRedisTopology).transform((e) => ({
  redisUrl: e.REDIS_URL,
  /** Where the queues' Redis is: one server, a Sentinel-watched primary, or a Cluster (queue/redis.ts). */
  redis: redisTarget(e),
  databaseUrl: e.DATABASE_URL,
  concurrency: e.WORKER_CONCURRENCY,
  dataDir: path.resolve(e.DATA_DIR),
  logLevel: e.LOG_LEVEL,
  /** The queues' key prefix; on a Redis Cluster the hash tag `{QUEUE_PREFIX}` (one slot, as BullMQ needs). */
  queuePrefix: e.REDIS_CLUSTER_NODES ? `{${e.QUEUE_PREFIX}}` : e.QUEUE_PREFIX,
  /** This worker's host (store/hosts.ts): its Host row, its queues, the projects placed on it. */
  host: {
    id: e.HOST_ID ?? defaultHostId(),
    address: e.HOST_ADDRESS ?? `127.0.0.1:${e.APPS_HTTP_PORT}`,
    downAfterMs: e.HOST_DOWN_AFTER_SECONDS * 1000,
    maxProjects: e.HOST_MAX_PROJECTS,
  },
  stepTimeoutMs: e.STEP_TIMEOUT_SECONDS * 1000,
  /**
   * Bytes of a step's output kept on disk to be classified should the step fail; past them it
   * is classified as it comes (pipeline/spooled-classifier.ts). 0: always as it comes.
   */
  stepSpoolBytes: e.STEP_SPOOL_MB * 1024 * 1024,
  shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
  /** How long a new live release's output is watched for runtime failures; 0: not at all. */
  runtimeWatchMs: e.RUNTIME_WATCH_SECONDS * 1000,
  /** Where app commands run: see SANDBOX_MODES and exec/sandbox.ts. */
  sandbox: e.SANDBOX,
  /** The first of the uids (and gids) projects' app code runs as, one each: see store/project-app-uid.ts. */
  appUidBase: e.APP_UID_BASE,
  /** A worker's hold on a job, renewed while it runs; a dead worker's job is free after it. */
  jobLockMs: e.JOB_LOCK_SECONDS * 1000,
  /** The first retry's delay; each later one doubles it. */
  retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
  adminDatabaseUrl: e.ADMIN_DATABASE_URL,
  pgbouncer: {
    host: e.PGBOUNCER_HOST,
    port: e.PGBOUNCER_PORT,
    maxPreparedStatements: e.PGBOUNCER_MAX_PREPARED_STATEMENTS,
    authPassword: e.PGBOUNCER_AUTH_PASSWORD,
    lookupSchema: e.PGBOUNCER_LOOKUP_SCHEMA,
    /** Log in through PgBouncer as the project's role before a release goes live. */
    loginCheck: e.PGBOUNCER_LOGIN_CHECK === "on",
  },
  direct: { host: e.DIRECT_DATABASE_HOST, port: e.DIRECT_DATABASE_PORT },
  /** Starts every project database and role name, so several installations can share a cluster. */
  projectDatabasePrefix: e.PROJECT_DATABASE_PREFIX,
  projectConnectionLimit: e.PROJECT_CONNECTION_LIMIT,
  projectStorageLimitBytes: e.PROJECT_STORAGE_LIMIT_MB * 1024 * 1024,
  backups: {
    /** The directory store's root. */
    dir: path.resolve(e.BACKUP_DIR ?? path.join(e.DATA_DIR, "backups")),
    /** Retention: the newest `keep` backups of a project, and any younger than `keepDays`. */
    keep: e.BACKUP_KEEP,
    keepDays: e.BACKUP_KEEP_DAYS,
    pruneEveryMs: e.BACKUP_PRUNE_EVERY_MINUTES * 60_000,
  },
  /** Where pg_dump, pg_restore and psql are; undefined: found on PATH. */
  pgBinDir: e.PG_BIN_DIR === undefined ? undefined : path.resolve(e.PG_BIN_DIR),
  /** The raw SECRETS_KEY, parsed by secrets/secrets-key.ts; undefined means a key file in DATA_DIR. */
  secretsKey: e.SECRETS_KEY,
  http: {
    port: e.HTTP_PORT,
    /**
     * The global webhook secret: verifies the pushes of projects without a secret of their own,
     * and only when `webhookGlobalSecretFallback` is on; otherwise unused.
     */
    githubWebhookSecret: e.GITHUB_WEBHOOK_SECRET,
    /** WEBHOOK_GLOBAL_SECRET_FALLBACK=1: the explicit opt-in to the global secret. */
    webhookGlobalSecretFallback: e.WEBHOOK_GLOBAL_SECRET_FALLBACK === "1",
    /** Guards the operator's HTTP endpoints. */
    adminToken: e.ADMIN_TOKEN,
    /** Which proxies' X-Forwarded-* headers count (client address, host, scheme); false: none. */
    trustProxy: e.TRUST_PROXY,
    /** When set, GET /metrics answers only `Authorization: Bearer <token>`. */
    metricsToken: e.METRICS_TOKEN,
    /** Larger webhook bodies are refused (413) before they are parsed. */
    webhookMaxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
  },
  releases: {
    /** Each project is served at `<slug>.<appsDomain>`. */
    appsDomain: e.APPS_DOMAIN,
    /** Where our own Caddy listens, and the port in the URLs (unless https). */
    appsHttpPort: e.APPS_HTTP_PORT,
    urlScheme: e.APPS_URL_SCHEME,
    /** The host's Caddy admin API; undefined: our own under DATA_DIR/caddy. */
    caddyAdmin: e.CADDY_ADMIN,
    /** The host's supervisord socket; undefined: our own under DATA_DIR/supervisor. */
    supervisorSocket: e.SUPERVISOR_SOCKET,
    drainMs: e.DRAIN_SECONDS * 1000,
    startSecs: e.RELEASE_START_SECONDS,
    startRetries: e.RELEASE_START_RETRIES,
  },
  /** Every box's limits unless its project has its own. */
  boxLimits: {
    memoryBytes: e.BOX_MEMORY_MB * 1024 * 1024,
    pids: e.BOX_PIDS,
    cpuShares: e.BOX_CPU_SHARES,
  },
  caches: {
    /** A project's build caches larger than this are not kept; 0: none are. */
    buildMaxBytes: e.BUILD_CACHE_MAX_MB * 1024 * 1024,
    /** A project's kept node_modules larger than this are not kept; 0: none are. */
    nodeModulesMaxBytes: e.NODE_MODULES_CACHE_MAX_MB * 1024 * 1024,
  },
  housekeeping: {
    /** Release directories kept per project besides the live one and running deploys'. */
    keepReleases: e.KEEP_RELEASES,
    /** Stored step logs of steps that ended longer ago are deleted (the step rows stay). */
    logRetentionMs: e.LOG_RETENTION_DAYS * DAY_MS,
    /** Completed and failed BullMQ jobs older than this are removed from Redis. */
    jobRetentionMs: e.JOB_RETENTION_DAYS * DAY_MS,
    /** Caches (a project's, the shared package store's files) unused this long are pruned. */
    cacheMaxAgeMs: e.CACHE_MAX_AGE_DAYS * DAY_MS,
    /** How often each housekeeping job is scheduled; 0: never (run it with the CLI). */
    everyMs: {
      "prune-releases": e.PRUNE_RELEASES_EVERY_MINUTES * 60_000,
      "prune-logs": e.PRUNE_LOGS_EVERY_MINUTES * 60_000,
      "clean-jobs": e.CLEAN_JOBS_EVERY_MINUTES * 60_000,
      "prune-caches": e.PRUNE_CACHES_EVERY_MINUTES * 60_000,
    },
  },
}));

type Env = z.output<typeof envSchema>;

/** Sentinel or Cluster, not both; Sentinel with its primary's name; a Cluster has database 0 only. */
function checkRedisTopology(e: Env, ctx: z.RefinementCtx): void {
  const problem = (path: keyof Env, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], message });
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES)
    problem(
      "REDIS_CLUSTER_NODES",
      "set either REDIS_SENTINELS (a primary that Sentinels watch) or REDIS_CLUSTER_NODES (a Redis Cluster), not both",
    );
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME)
    problem(
      "REDIS_SENTINEL_NAME",
      "required with REDIS_SENTINELS: the name the Sentinels monitor the primary under (sentinel monitor <name> …)",
    );
  if (!e.REDIS_SENTINELS && (e.REDIS_SENTINEL_NAME || e.REDIS_SENTINEL_PASSWORD))
    problem(
      e.REDIS_SENTINEL_NAME ? "REDIS_SENTINEL_NAME" : "REDIS_SENTINEL_PASSWORD",
      "only used with REDIS_SENTINELS, which is not set: list the Sentinels there (host:port,…)",
    );
  // A REDIS_URL that is not a URL at all has its own issue already.
  if (!URL.canParse(e.REDIS_URL)) return;
  const db = new URL(e.REDIS_URL).pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db))
    problem("REDIS_URL", "expected a database number as the URL's path (redis://host:6379/0)");
  else if (e.REDIS_CLUSTER_NODES && db !== "" && db !== "0")
    problem("REDIS_URL", `a Redis Cluster has database 0 only; REDIS_URL names database ${db}`);
}

/** REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES as one description of where Redis is. */
function redisTarget(e: Env) {
  if (e.REDIS_SENTINELS)
    return {
      mode: "sentinel" as const,
      url: e.REDIS_URL,
      sentinels: e.REDIS_SENTINELS,
      name: e.REDIS_SENTINEL_NAME!,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
    };
  if (e.REDIS_CLUSTER_NODES)
    return { mode: "cluster" as const, url: e.REDIS_URL, nodes: e.REDIS_CLUSTER_NODES };
  return { mode: "single" as const, url: e.REDIS_URL };
}

/** The parsed configuration: the transform above is its one definition. */
export type Config = z.output<typeof configSchema>;

/** Parses the worker's environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((key) => {
      const value = env[key];
      return value === undefined || value === "" ? [] : [[key, value]];
    }),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    // Values are never echoed: a bad DATABASE_URL may still carry a password.
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** HOST_ID's default: the machine's hostname made a valid host id (`Web1.example.com` → `web1`). */
export function defaultHostId(hostname: string = os.hostname()): string {
  const id = (hostname.split(".")[0] ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63);
  return id === "" ? "host" : id;
}

function defaultDataDir(): string {
  return path.join(os.homedir(), ".coduck-worker");
}

/** The variables the worker reads, for the docs test and for keeping them out of child processes. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
