import net from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

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

const DAY_MS = 24 * 3600 * 1000;
/**
 * bwrap (the default): app commands run in bubblewrap, and the worker refuses to start where it
 * does not work; off: no sandbox, only when set explicitly, and then shown on every deployment.
 * There is no fallback between them (the former `auto` is refused, see SANDBOX below).
 */
export const SANDBOX_MODES = ["bwrap", "off"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Every environment variable the worker reads, with defaults that work against the local services. */
const envSchema = z.object({
  REDIS_URL: url(["redis:", "rediss:"], "redis://127.0.0.1:6379").default("redis://127.0.0.1:6379"),
  DATABASE_URL: url(
    ["postgres:", "postgresql:"],
    "postgresql://postgres@127.0.0.1:5432/coduck_worker",
  ).default("postgresql://postgres@127.0.0.1:5432/coduck_worker"),
  WORKER_CONCURRENCY: integer(1, 64).default(2),
  DATA_DIR: z.string().min(1, "expected a directory path").default(defaultDataDir()),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` })
    .default("info"),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1 to 64 letters, digits, '_' or '-' (no ':')")
    .default("coduck"),
  STEP_TIMEOUT_SECONDS: integer(1, 24 * 3600).default(15 * 60),
  STEP_SPOOL_MB: integer(0, 64 * 1024).default(256),
  SHUTDOWN_GRACE_SECONDS: integer(0, 3600).default(30),
  RUNTIME_WATCH_SECONDS: integer(0, 24 * 3600).default(60),
  SANDBOX: z
    .enum(SANDBOX_MODES, {
      error: (issue) =>
        issue.input === "auto"
          ? "auto is no longer accepted: it ran app code unsandboxed where bubblewrap was missing; use bwrap (the default), or off to run app code unsandboxed on purpose"
          : `expected one of ${SANDBOX_MODES.join(", ")}`,
    })
    .default("bwrap"),
  APP_UID_BASE: integer(1000, 2_000_000_000).default(200_000),
  JOB_LOCK_SECONDS: integer(1, 3600).default(30),
  RETRY_BASE_DELAY_MS: integer(100, 3_600_000).default(2_000),

  ADMIN_DATABASE_URL: url(
    ["postgres:", "postgresql:"],
    "postgresql://postgres@127.0.0.1:5432/postgres",
  ).default("postgresql://postgres@127.0.0.1:5432/postgres"),
  PGBOUNCER_HOST: host().default("127.0.0.1"),
  PGBOUNCER_PORT: integer(1, 65535).default(6432),
  PGBOUNCER_MAX_PREPARED_STATEMENTS: integer(0, 100_000).default(100),
  PGBOUNCER_AUTH_PASSWORD: z.string().min(8, "expected at least 8 characters").optional(),
  PGBOUNCER_LOOKUP_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lowercase schema name ([a-z_][a-z0-9_]*)")
    .default("public"),
  // Before go-live the worker logs in through PgBouncer as the project's role
  // (pipeline/steps/start.ts); off only where no PgBouncer runs (a test stack without one).
  PGBOUNCER_LOGIN_CHECK: z.enum(["on", "off"]).default("on"),
  DIRECT_DATABASE_HOST: host().default("127.0.0.1"),
  DIRECT_DATABASE_PORT: integer(1, 65535).default(5433),
  PROJECT_DATABASE_PREFIX: z
    .string()
    .regex(
      /^[a-z][a-z0-9]{0,11}$/,
      "expected 1 to 12 lowercase letters or digits, starting with a letter",
    )
    .default("prj"),
  PROJECT_CONNECTION_LIMIT: integer(1, 1000).default(20),
  PROJECT_STORAGE_LIMIT_MB: integer(1, 10_000_000).default(1024),
  SECRETS_KEY: z
    .string()
    .regex(
      /^(\d+:)?[A-Za-z0-9+/=_-]{43,44}(,(\d+:)?[A-Za-z0-9+/=_-]{43,44})*$/,
      "expected a base64 32-byte key, or a comma-separated list of version:key (newest first)",
    )
    .optional(),

  BACKUP_DIR: z.string().min(1, "expected a directory path").optional(),
  BACKUP_KEEP: integer(0, 10_000).default(7),
  BACKUP_KEEP_DAYS: integer(0, 3650).default(7),
  BACKUP_PRUNE_EVERY_MINUTES: integer(1, 7 * 24 * 60).default(60),
  PG_BIN_DIR: z.string().min(1, "expected a directory path").optional(),

  HTTP_PORT: integer(1, 65535).default(8080),
  GITHUB_WEBHOOK_SECRET: secret().optional(),
  WEBHOOK_GLOBAL_SECRET_FALLBACK: z
    .enum(["0", "1"], {
      error:
        "expected 1 (GITHUB_WEBHOOK_SECRET verifies pushes of projects without a secret of their own) or 0",
    })
    .default("0"),
  ADMIN_TOKEN: secret().optional(),
  TRUST_PROXY: trustProxy(),
  METRICS_TOKEN: secret().optional(),
  WEBHOOK_MAX_BODY_BYTES: integer(1024, 100 * 1024 * 1024).default(1024 * 1024),

  KEEP_RELEASES: integer(1, 1000).default(5),
  LOG_RETENTION_DAYS: integer(1, 36_500).default(30),
  JOB_RETENTION_DAYS: integer(1, 36_500).default(7),
  PRUNE_RELEASES_EVERY_MINUTES: integer(0, 7 * 24 * 60).default(60),
  PRUNE_LOGS_EVERY_MINUTES: integer(0, 7 * 24 * 60).default(24 * 60),
  CLEAN_JOBS_EVERY_MINUTES: integer(0, 7 * 24 * 60).default(60),
});

export type Config = {
  redisUrl: string;
  databaseUrl: string;
  concurrency: number;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  queuePrefix: string;
  stepTimeoutMs: number;
  /**
   * Bytes of a step's output kept on disk to be classified should the step fail; past them it
   * is classified as it comes (pipeline/spooled-classifier.ts). 0: always as it comes.
   */
  stepSpoolBytes: number;
  shutdownGraceMs: number;
  /** How long a new live release's output is watched for runtime failures; 0: not at all. */
  runtimeWatchMs: number;
  /** Where app commands run: see SANDBOX_MODES and exec/sandbox.ts. */
  sandbox: SandboxMode;
  /** The first of the uids (and gids) projects' app code runs as, one each: see store/project-app-uid.ts. */
  appUidBase: number;
  /** A worker's hold on a job, renewed while it runs; a dead worker's job is free after it. */
  jobLockMs: number;
  /** The first retry's delay; each later one doubles it. */
  retryBaseDelayMs: number;
  adminDatabaseUrl: string;
  pgbouncer: {
    host: string;
    port: number;
    maxPreparedStatements: number;
    authPassword: string | undefined;
    lookupSchema: string;
    /** Log in through PgBouncer as the project's role before a release goes live. */
    loginCheck: boolean;
  };
  direct: { host: string; port: number };
  /** Starts every project database and role name, so several installations can share a cluster. */
  projectDatabasePrefix: string;
  projectConnectionLimit: number;
  projectStorageLimitBytes: number;
  backups: {
    /** The directory store's root. */
    dir: string;
    /** Retention: the newest `keep` backups of a project, and any younger than `keepDays`. */
    keep: number;
    keepDays: number;
    pruneEveryMs: number;
  };
  /** Where pg_dump, pg_restore and psql are; undefined: found on PATH. */
  pgBinDir: string | undefined;
  /** The raw SECRETS_KEY, parsed by secrets/secrets-key.ts; undefined means a key file in DATA_DIR. */
  secretsKey: string | undefined;
  http: {
    port: number;
    /**
     * The global webhook secret: verifies the pushes of projects without a secret of their own,
     * and only when `webhookGlobalSecretFallback` is on; otherwise unused.
     */
    githubWebhookSecret: string | undefined;
    /** WEBHOOK_GLOBAL_SECRET_FALLBACK=1: the explicit opt-in to the global secret. */
    webhookGlobalSecretFallback: boolean;
    /** Guards the operator's HTTP endpoints. */
    adminToken: string | undefined;
    /** Which proxies' X-Forwarded-* headers count (client address, host, scheme); false: none. */
    trustProxy: TrustProxy;
    /** When set, GET /metrics answers only `Authorization: Bearer <token>`. */
    metricsToken: string | undefined;
    /** Larger webhook bodies are refused (413) before they are parsed. */
    webhookMaxBodyBytes: number;
  };
  housekeeping: {
    /** Release directories kept per project besides the live one and running deploys'. */
    keepReleases: number;
    /** Stored step logs of steps that ended longer ago are deleted (the step rows stay). */
    logRetentionMs: number;
    /** Completed and failed BullMQ jobs older than this are removed from Redis. */
    jobRetentionMs: number;
    /** How often each housekeeping job is scheduled; 0: never (run it with the CLI). */
    everyMs: { "prune-releases": number; "prune-logs": number; "clean-jobs": number };
  };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the worker's environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((key) => {
      const value = env[key];
      return value === undefined || value === "" ? [] : [[key, value]];
    }),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    // Values are never echoed: a bad DATABASE_URL may still carry a password.
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    concurrency: e.WORKER_CONCURRENCY,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    queuePrefix: e.QUEUE_PREFIX,
    stepTimeoutMs: e.STEP_TIMEOUT_SECONDS * 1000,
    stepSpoolBytes: e.STEP_SPOOL_MB * 1024 * 1024,
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    runtimeWatchMs: e.RUNTIME_WATCH_SECONDS * 1000,
    sandbox: e.SANDBOX,
    appUidBase: e.APP_UID_BASE,
    jobLockMs: e.JOB_LOCK_SECONDS * 1000,
    retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
    adminDatabaseUrl: e.ADMIN_DATABASE_URL,
    pgbouncer: {
      host: e.PGBOUNCER_HOST,
      port: e.PGBOUNCER_PORT,
      maxPreparedStatements: e.PGBOUNCER_MAX_PREPARED_STATEMENTS,
      authPassword: e.PGBOUNCER_AUTH_PASSWORD,
      lookupSchema: e.PGBOUNCER_LOOKUP_SCHEMA,
      loginCheck: e.PGBOUNCER_LOGIN_CHECK === "on",
    },
    direct: { host: e.DIRECT_DATABASE_HOST, port: e.DIRECT_DATABASE_PORT },
    projectDatabasePrefix: e.PROJECT_DATABASE_PREFIX,
    projectConnectionLimit: e.PROJECT_CONNECTION_LIMIT,
    projectStorageLimitBytes: e.PROJECT_STORAGE_LIMIT_MB * 1024 * 1024,
    backups: {
      dir: path.resolve(e.BACKUP_DIR ?? path.join(e.DATA_DIR, "backups")),
      keep: e.BACKUP_KEEP,
      keepDays: e.BACKUP_KEEP_DAYS,
      pruneEveryMs: e.BACKUP_PRUNE_EVERY_MINUTES * 60_000,
    },
    pgBinDir: e.PG_BIN_DIR === undefined ? undefined : path.resolve(e.PG_BIN_DIR),
    secretsKey: e.SECRETS_KEY,
    http: {
      port: e.HTTP_PORT,
      githubWebhookSecret: e.GITHUB_WEBHOOK_SECRET,
      webhookGlobalSecretFallback: e.WEBHOOK_GLOBAL_SECRET_FALLBACK === "1",
      adminToken: e.ADMIN_TOKEN,
      trustProxy: e.TRUST_PROXY,
      metricsToken: e.METRICS_TOKEN,
      webhookMaxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    },
    housekeeping: {
      keepReleases: e.KEEP_RELEASES,
      logRetentionMs: e.LOG_RETENTION_DAYS * DAY_MS,
      jobRetentionMs: e.JOB_RETENTION_DAYS * DAY_MS,
      everyMs: {
        "prune-releases": e.PRUNE_RELEASES_EVERY_MINUTES * 60_000,
        "prune-logs": e.PRUNE_LOGS_EVERY_MINUTES * 60_000,
        "clean-jobs": e.CLEAN_JOBS_EVERY_MINUTES * 60_000,
      },
    },
  };
}

function defaultDataDir(): string {
  return path.join(os.homedir(), ".coduck-worker");
}

/** The variables the worker reads, for the docs test and for keeping them out of child processes. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
