import { FAILURE_STEPS, type FailureStep } from "../pipeline/step-names.js";

// The platform's database docs; its "Common failures" section is the user's reference for the
// documented failures, so their hints say the same thing.
const COMMON_FAILURES = "https://docs.coduck.ai/database#common-failures";
// The coduck.json reference: its install, build, preStart and start commands.
const CODUCK_JSON = "https://docs.coduck.ai/coduck-json";

const DATABASE_USE = ["build", "schema", "start", "runtime"] as const;

/**
 * The catalogue of failure codes: what a deploy reports when a step fails.
 * Each entry says what went wrong, what the user can do (`hint`, or the `variants` hint for a
 * form of the failure whose fix differs), whether a retry can help, the steps it can come from,
 * the steps whose unexplained failures it stands for (`fallbackFor`), whether a live release
 * logging it is degraded (`degradesLiveRelease`), and where the platform docs explain it.
 */
export const FAILURE_CODES = {
  // The worker's own codes: decided by the pipeline, not read from a log.
  CONFIG_INVALID: {
    title: "The project's deploy configuration is invalid",
    hint: "Fix coduck.json as the error describes (its fields and their types are in the coduck.json reference), commit and push again.",
    retryable: false,
    steps: ["provision", "checkout"],
  },
  RESERVED_ENV: {
    title: "The project sets an environment variable the platform reserves",
    hint: "Remove the variable from the project's settings: DATABASE_URL and DIRECT_URL are injected by CoDuck and cannot be overridden.",
    retryable: false,
    steps: ["provision", "checkout"],
  },
  CHECKOUT_FAILED: {
    title: "The repository or ref could not be checked out",
    hint: "Check that the repository URL is reachable by the platform and that the branch, tag or commit exists.",
    retryable: false,
    steps: ["checkout"],
    fallbackFor: ["checkout"],
  },
  INSTALL_FAILED: {
    title: "Installing dependencies failed",
    hint: "Run the same install locally from a clean checkout (npm ci) and fix the first error it prints.",
    retryable: false,
    steps: ["install"],
    fallbackFor: ["install"],
    variants: {
      "node-engine":
        'A package, or your own package.json, requires a Node version the platform does not run (the evidence shows "Required" and "Actual"). Pin that dependency to a version whose engines accept the platform\'s Node (e.g. the previous major), or relax the "engines" field of your package.json; engine-strict in .npmrc makes the check fatal.',
    },
  },
  MISSING_START: {
    title: "The app has no way to start",
    hint: 'Add a "start" script to package.json (e.g. "start": "node server.js").',
    retryable: false,
    steps: ["start"],
  },
  STEP_TIMEOUT: {
    title: "The step ran past its time limit and was stopped",
    hint: "Look at the last lines of the step's log for what it was waiting on; a step that needs longer can be given a longer timeout.",
    retryable: false,
    steps: ["install", "build", "schema", "start"],
  },
  HEALTHCHECK_FAILED: {
    title: "The app started but did not answer its health check",
    hint: "Listen on process.env.PORT (on all interfaces, not only 127.0.0.1) and answer HTTP requests within the start timeout; a process that exits or never listens fails the check.",
    retryable: false,
    steps: ["start"],
  },
  CANCELLED: {
    title: "The deploy was cancelled",
    hint: "Nothing to fix: push again or retry the deploy when you want it.",
    retryable: false,
    steps: ["provision", "checkout", "install", "build", "schema", "start"],
  },
  WORKER_INTERRUPTED: {
    title: "The worker running the deploy stopped before the step finished",
    hint: "Nothing to fix on your side: the deploy is handed back to the queue and runs again.",
    retryable: true,
    steps: ["provision", "checkout", "install", "build", "schema", "start"],
  },
  NETWORK_ERROR: {
    title: "A network request failed while fetching dependencies or code",
    hint: "Nothing to fix on your side if the URL is a public registry: the connection was reset, timed out or the name did not resolve, and the deploy is retried. If it keeps failing, check that every dependency URL (registry, git, tarball) is public.",
    retryable: true,
    steps: ["checkout", "install", "build"],
  },

  // Database: the documented common failures first.
  RELATION_DOES_NOT_EXIST: {
    title: "A query hit a table that does not exist",
    hint: 'The database starts empty and your schema never got created. Keep a Prisma schema with models in prisma/schema.prisma (CoDuck then runs `prisma db push` on deploy), or set a preStart that runs your migrations, e.g. "preStart": "prisma migrate deploy". A preStart replaces the automatic push, so it must create the tables itself.',
    retryable: false,
    steps: DATABASE_USE,
    degradesLiveRelease: true,
    docs: COMMON_FAILURES,
    // By stack: the command that creates the tables, and where its migrations live.
    variants: {
      drizzle:
        'The database starts empty and your Drizzle tables never got created. Commit the migrations `drizzle-kit generate` writes (the `out` folder of drizzle.config, drizzle/ by default) and set "preStart": "drizzle-kit migrate"; or, without migrations, "preStart": "drizzle-kit push".',
      knex: 'The database starts empty and your knex migrations never ran. Commit them (the `migrations.directory` of your knexfile, migrations/ by default) and set "preStart": "knex migrate:latest" (add `--knexfile` if the knexfile is not at the app\'s root).',
      sequelize:
        'The database starts empty and your Sequelize migrations never ran (sequelize.sync() in the app is not one). Commit them (migrations/, or the path .sequelizerc sets) and set "preStart": "sequelize-cli db:migrate".',
      typeorm:
        'The database starts empty and your TypeORM migrations never ran. Commit them (the `migrations` of your DataSource, e.g. src/migrations) and set "preStart": "typeorm migration:run -d dist/data-source.js" (the built DataSource file), or with TypeScript sources `typeorm-ts-node-commonjs migration:run -d src/data-source.ts`.',
      kysely:
        'The database starts empty and your Kysely migrations never ran. Commit a script that calls `migrator.migrateToLatest()` (with a FileMigrationProvider over your migrations folder) and set "preStart": "node dist/migrate.js" (that script, built).',
    },
  },
  DESTRUCTIVE_CHANGE_BLOCKED: {
    title: "`prisma db push` refused a change that would lose data",
    hint: 'A destructive change (dropping a column or table that holds data, changing a column\'s type, removing an enum value) is blocked by `prisma db push` without --accept-data-loss. Switch to a real migration: create it locally with `prisma migrate dev` (edit its SQL to copy or convert the data), commit prisma/migrations, and set "preStart": "prisma migrate deploy".',
    retryable: false,
    steps: ["schema"],
    docs: COMMON_FAILURES,
    variants: {
      "unique-constraint":
        'No data is dropped here: the change adds a unique constraint, and `prisma db push` stops because rows that already share a value would make it fail. Remove the duplicate values first (or make the field optional and fill it uniquely), then deploy again; to do both in one deploy, use a real migration that cleans the duplicates before adding the constraint, with "preStart": "prisma migrate deploy".',
      "drizzle-kit-push":
        '`drizzle-kit push` found statements that would lose data (the evidence lists them) and applied nothing: without a terminal it cannot ask, and it exits 0 anyway, so CoDuck fails the deploy and the previous release keeps serving. Use migrations instead: `drizzle-kit generate` locally (edit the SQL to copy or convert the data), commit the migrations folder and set "preStart": "drizzle-kit migrate".',
      "drizzle-kit-prompt":
        '`drizzle-kit push` needs to ask a question (was a column or table renamed, or dropped and another created?) and there is no terminal to ask in, so it stopped and applied nothing. Answer it once where you can: run `drizzle-kit generate` locally (it asks the same question), commit the migrations folder (the `out` of drizzle.config) and set "preStart": "drizzle-kit migrate"; or make the change in two deploys (add the new column or table, then drop the old one).',
      "auth-sdk-tables":
        '`drizzle-kit push` would drop the CoDuck Auth SDK\'s tables (the evidence names them): they are not in your Drizzle schema, and drizzle-kit drops an empty table it does not know without asking. Nothing was applied and the previous release keeps serving. Leave them out of the push: add `tablesFilter: ["!auth_*"]` to drizzle.config (drizzle-kit then neither drops nor reads them), commit and deploy again.',
      "enum-value":
        'Removing an enum value fails or loses data while rows still use it. Use a real migration (create it with `prisma migrate dev`, add an UPDATE that moves those rows to another value before the enum change), commit prisma/migrations and set "preStart": "prisma migrate deploy".',
    },
  },
  PRISMA_VERSION_UNSUPPORTED: {
    title: "The app's Prisma version cannot be served by the automatic schema push",
    hint: 'The additive `prisma db push` CoDuck runs needs Prisma 5.12.1 or later (`migrate diff --output`; 6.13+ keeps unknown tables natively). Upgrade prisma and @prisma/client, or set "preStart": "prisma migrate deploy" to apply real migrations yourself: the client is still generated before the build.',
    retryable: false,
    steps: ["schema"],
  },
  COMMAND_NOT_FOUND: {
    title: "A command of the app's is not installed",
    hint: "The command line (coduck.json install or preStart) runs a program the app does not have: add the package that provides it (e.g. prisma, drizzle-kit, knex, sequelize-cli) to the app's dependencies and commit the lock file, or fix the command's spelling. Commands run with the app's node_modules/.bin first on PATH, as npm scripts do. Nothing was done to the database.",
    retryable: false,
    steps: ["install", "schema"],
    docs: CODUCK_JSON,
  },
  MIGRATION_FAILED: {
    title: "Applying the database schema failed",
    hint: "Your migration, `prisma db push` or preStart failed against the project database: read the database error in the evidence, fix the migration (or the schema change) and deploy again. Migrations should connect with DIRECT_URL.",
    retryable: false,
    steps: ["schema", "start"],
    fallbackFor: ["schema"],
    docs: COMMON_FAILURES,
    variants: {
      unexecutable:
        "The push cannot be executed on the existing rows, typically a new required column without a default on a table that has data. Give the field a @default (or make it optional, fill it, then make it required in a later deploy), or write a real migration that fills the column.",
      "failed-migration-recorded":
        "A migration failed on an earlier deploy and is recorded as failed (P3009), so `prisma migrate deploy` will not run others. Fix the migration, then mark it with `prisma migrate resolve --rolled-back <migration>` (or --applied, if you applied it by hand) against DIRECT_URL, and deploy again.",
      drizzle:
        "`drizzle-kit migrate` (or `push`) failed against the project database: the database error in the evidence names the statement. Fix the migration's SQL file in the migrations folder (the `out` of drizzle.config, drizzle/ by default), or generate a new one with `drizzle-kit generate` rather than editing one already applied elsewhere, commit it and deploy again. drizzle-kit records what it applied in drizzle.__drizzle_migrations; a failed migration is not recorded. drizzle-kit migrate can fail without printing the error: run it locally against a database at the same migration to see it.",
      knex: "`knex migrate:latest` failed on the migration file the evidence names (in the knexfile's `migrations.directory`, migrations/ by default): fix its up() as the database error says, commit and deploy again. A run that was killed can leave the migration table locked (`MigrationLocked`): release it with `knex migrate:unlock`, run with the same knexfile, then deploy again.",
      sequelize:
        "`sequelize-cli db:migrate` failed on the migration the evidence names (migrations/, or the path .sequelizerc sets): fix its up() as the database error says, commit and deploy again. Applied migrations are recorded in the SequelizeMeta table; the failed one is not.",
      typeorm:
        "`typeorm migration:run` failed on the migration the evidence names (the `migrations` of your DataSource, e.g. src/migrations): fix its up() as the database error says, commit and deploy again. Applied migrations are recorded in the `migrations` table; a failed one is rolled back with its transaction.",
      kysely:
        "Your Kysely migrator (`migrateToLatest()`, from your preStart script) failed on the migration the evidence names: fix its up() in your migrations folder as the database error says, commit and deploy again. Applied migrations are recorded in the kysely_migration table.",
      baseline:
        "The database already has tables that no migration created (P3005), e.g. from CoDuck's automatic `prisma db push` before preStart ran `prisma migrate deploy`. Baseline it: `coduck-worker db baseline --project <project>` marks the app's migrations whose tables already exist as applied (with `prisma migrate resolve --applied`, on the project's DIRECT_URL) and leaves the later ones to migrate deploy; then retry the deployment. Nothing was applied to the database.",
    },
  },
  BOUNCER_CONFIG_ERROR: {
    title: "PgBouncer cannot authenticate connections to your database",
    hint: "PgBouncer's lookup function public.user_lookup() (or its USAGE grant to pgbouncer_auth) is gone, almost always because the app ran DROP SCHEMA public CASCADE. The worker restores the lookup function on the next deploy: redeploy. Stop using DROP SCHEMA public CASCADE: to reset data, drop and recreate your own tables instead.",
    retryable: false,
    steps: DATABASE_USE,
    degradesLiveRelease: true,
    docs: COMMON_FAILURES,
  },
  POOL_EXHAUSTED: {
    title: "No database connection was available",
    hint: "Lower the client pool max to 10 or less: PgBouncer already pools on the server side, so the app should open very few connections. Release every connection you check out.",
    retryable: false,
    steps: DATABASE_USE,
    degradesLiveRelease: true,
    docs: COMMON_FAILURES,
    variants: {
      "server-slots":
        "Postgres itself ran out of connection slots for your database (too many clients, or the role's connection limit). Connect through DATABASE_URL (PgBouncer) at runtime, never DIRECT_URL, and lower the client pool max to 10 or less.",
      pgbouncer:
        "PgBouncer turned clients away (max_client_conn) or a query waited too long for a server connection (query_wait_timeout). Lower the client pool max to 10 or less, keep transactions short, and don't leave connections idle in a transaction.",
      "client-pool":
        "Your app's own pool timed out waiting for a free connection: connections are checked out and never released (or held across slow work). Release every client (client.release() / end transactions), keep the pool max at 10 or less, and for Prisma keep connection_limit at 10 or less.",
    },
  },
  SCHEMA_MISMATCH: {
    title: "The code expects a column the database does not have",
    hint: "A schema change was not applied: the usual cause is an uncommitted change to prisma/schema.prisma (or a migration file). Commit it and deploy again. CoDuck runs `prisma generate` itself when your schema has models, so your build step does not need it.",
    retryable: false,
    steps: DATABASE_USE,
    degradesLiveRelease: true,
    docs: COMMON_FAILURES,
    variants: {
      drizzle:
        'The Drizzle schema in your code has a column the database lacks: generate the migration that adds it (`drizzle-kit generate`), commit the migrations folder (drizzle/ by default) and run it from "preStart": "drizzle-kit migrate".',
      knex: 'Your code expects a column no knex migration added: write the migration (`knex migrate:make`), commit it in the knexfile\'s migrations directory and run it from "preStart": "knex migrate:latest".',
      sequelize:
        'Your Sequelize model has a column no migration added: write the migration (`sequelize-cli migration:generate`), commit it in migrations/ and run it from "preStart": "sequelize-cli db:migrate".',
      typeorm:
        'Your TypeORM entity has a column no migration added: generate the migration (`typeorm migration:generate`), commit it with the DataSource\'s migrations and run it from "preStart": "typeorm migration:run -d dist/data-source.js".',
      kysely:
        "Your queries use a column no Kysely migration added: add a migration to your migrations folder and run it from the preStart script that calls `migrator.migrateToLatest()`.",
    },
  },
  PREPARED_STATEMENT_CONFLICT: {
    title: "A prepared statement clashed with the transaction pooler",
    hint: "Named prepared statements do not follow your session through a transaction-mode pooler. PgBouncer >= 1.21 with max_prepared_statements handles them; on an older PgBouncer, add `pgbouncer=true` to the URL for Prisma, and drop statement names in node-postgres (or use `prepare: false` in postgres.js).",
    retryable: false,
    steps: DATABASE_USE,
  },
  DATABASE_UNREACHABLE: {
    title: "The database could not be reached",
    hint: "Connect with the injected DATABASE_URL (DIRECT_URL for migrations) exactly as given: a committed .env or hard-coded host (localhost, db) overrides it. If you do, the database was briefly unreachable and the deploy is retried.",
    retryable: true,
    steps: DATABASE_USE,
  },
  MIGRATION_THROUGH_POOLER: {
    title: "A migration ran through PgBouncer and timed out waiting for its lock",
    hint: 'A migration tool ran from the build or start script with DATABASE_URL, which goes through PgBouncer in transaction mode: Prisma\'s migrate takes a session advisory lock (P1002), which stays on a pooled server connection, and the next run waits for it and times out. Retrying does not help. Run migrations from coduck.json preStart (`"preStart": "prisma migrate deploy"`), where they connect directly, and take them out of the build and start scripts; a tool you run yourself connects with DIRECT_URL. The lock left on a pooled connection goes when PgBouncer closes that connection (server_idle_timeout), so the first preStart run may still wait for it.',
    retryable: false,
    steps: DATABASE_USE,
  },
  DATABASE_SSL_MISMATCH: {
    title: "The app asked for SSL, which the project database does not offer",
    hint: "The project's database is reached on the machine's own loopback (DATABASE_URL through PgBouncer, DIRECT_URL to Postgres) without SSL: use the injected URLs as they are, and remove ssl: true (or an ssl object) from the client or knexfile config and sslmode=require from any URL. Nothing was applied to the database.",
    retryable: false,
    steps: DATABASE_USE,
    variants: {
      prisma:
        'The project\'s database is reached on the machine\'s own loopback without SSL: remove sslmode=require (or sslcert, sslaccept) from the url in prisma/schema.prisma or prisma.config.ts and from any committed .env, and use env("DATABASE_URL") and env("DIRECT_URL") as injected. For @prisma/adapter-pg, remove `ssl` from the adapter\'s options. Nothing was applied to the database.',
      drizzle:
        "The project's database is reached on the machine's own loopback without SSL: remove `ssl` from `dbCredentials` in drizzle.config (and from the pg or postgres client your db file creates), and use the injected DATABASE_URL and DIRECT_URL as they are. Nothing was applied to the database.",
      knex: "The project's database is reached on the machine's own loopback without SSL: remove `ssl` from `connection` in your knexfile (for every environment, production included) and connect with the injected URL as it is. Nothing was applied to the database.",
      sequelize:
        "The project's database is reached on the machine's own loopback without SSL: remove `dialectOptions.ssl` (and `ssl: true`) from your Sequelize config (config/config.js or .sequelizerc's config, for the production environment too) and connect with the injected URL as it is. Nothing was applied to the database.",
      typeorm:
        "The project's database is reached on the machine's own loopback without SSL: remove `ssl` (and `extra.ssl`) from your DataSource options (data-source.ts) and connect with the injected URL as it is. Nothing was applied to the database.",
      kysely:
        "The project's database is reached on the machine's own loopback without SSL: remove `ssl` from the pg Pool your Kysely PostgresDialect is given and connect with the injected URL as it is. Nothing was applied to the database.",
    },
  },
  DATABASE_AUTH_FAILED: {
    title: "The database rejected the connection's credentials",
    hint: "Use the injected DATABASE_URL and DIRECT_URL as they are: the user, password and database are per project, so a hard-coded or copied URL is refused.",
    retryable: false,
    steps: DATABASE_USE,
  },
  PRISMA_SCHEMA_INVALID: {
    title: "prisma/schema.prisma is not valid",
    hint: "Run `npx prisma validate` locally and fix the line it reports (unknown type, missing relation field, duplicate model). For an env() variable: CoDuck injects DATABASE_URL and DIRECT_URL at deploy, any other variable must be set in the project's settings.",
    retryable: false,
    steps: ["install", "build", "schema"],
  },

  // Install and build.
  LOCKFILE_OUT_OF_SYNC: {
    title: "The lock file does not match package.json",
    hint: "Run the install locally (npm install, pnpm install or yarn install) so the lock file matches package.json, and commit the updated lock file.",
    retryable: false,
    steps: ["install"],
  },
  DEPENDENCY_RESOLUTION_FAILED: {
    title: "The dependencies could not be resolved",
    hint: "A package or version in package.json cannot be installed: fix the name or version range (check it with `npm view <package> versions`), and for a peer-dependency conflict align the versions or add an `overrides` entry. Private packages need a registry the platform can reach.",
    retryable: false,
    steps: ["install"],
  },
  MISSING_SCRIPT: {
    title: "package.json has no such script",
    hint: 'Add the script to "scripts" in package.json (e.g. "start": "node server.js"), or fix its name.',
    retryable: false,
    steps: ["build", "schema", "start"],
  },
  TYPESCRIPT_ERROR: {
    title: "TypeScript reported type errors",
    hint: "Run `npx tsc --noEmit` locally and fix the errors it reports, starting with the first.",
    retryable: false,
    steps: ["build", "start"],
    variants: {
      "dependency-types":
        "Every error is in a dependency's type declarations (node_modules/…/*.d.ts), not in your code: usually two packages expect different versions of a third (@types/node, react, typescript itself). Align those versions in package.json (or upgrade the package the errors are in), or set \"skipLibCheck\": true in tsconfig.json's compilerOptions so tsc stops checking declaration files.",
    },
  },
  MODULE_NOT_FOUND: {
    title: "A module could not be found",
    hint: 'Check that the package is in "dependencies" (devDependencies may be left out of production installs), that the import path matches the file name\'s case exactly (Linux is case-sensitive), and that the file exists after the build (ES modules need the file extension).',
    retryable: false,
    steps: ["install", "build", "schema", "start", "runtime"],
  },
  OUT_OF_MEMORY: {
    title: "The process ran out of memory",
    hint: "Reduce the memory the step needs (stream large files instead of loading them, split a big build), and keep --max-old-space-size below the container's memory limit.",
    retryable: false,
    steps: ["install", "build", "schema", "start", "runtime"],
  },
  PORT_IN_USE: {
    title: "The app's port is already in use",
    hint: "Listen once, on process.env.PORT: look for a second listen() (two servers, a dev server or a cluster worker) on the same port.",
    retryable: false,
    steps: ["start", "runtime"],
  },
  START_CRASHED: {
    title: "The app crashed while starting",
    hint: "Run `npm start` locally with the same environment and fix the error in the evidence: typically a missing environment variable, an invalid config file, or a bug on the start-up path.",
    retryable: false,
    steps: ["start", "runtime"],
    fallbackFor: ["start"],
    variants: {
      "command-not-found":
        "The start command runs a program that is not installed: add the package that provides it to dependencies, or fix the command.",
      "bad-port":
        "The app tried to listen on an invalid or privileged port: listen on Number(process.env.PORT).",
    },
  },
  BUILD_FAILED: {
    title: "The build failed",
    hint: "Run `npm run build` locally from a clean checkout and fix the first error it prints.",
    retryable: false,
    steps: ["build"],
    fallbackFor: ["build"],
    variants: {
      "command-not-found":
        "The build runs a program that is not installed: add the package that provides it (e.g. vite) to devDependencies or dependencies, and commit the lock file.",
    },
  },
  UNKNOWN: {
    title: "The step failed without a recognisable error",
    hint: "Read the end of the step's log; if it shows nothing, run the same command locally.",
    retryable: false,
    steps: FAILURE_STEPS,
    fallbackFor: ["provision", "runtime"],
  },
} as const satisfies Record<string, FailureCodeEntry>;

type FailureCodeEntry = {
  title: string;
  hint: string;
  retryable: boolean;
  steps: readonly FailureStep[];
  /**
   * The steps in which this code is what a failure naming no cause means. Such a code only says
   * which step failed, so the log, once read, may name the cause instead.
   */
  fallbackFor?: readonly FailureStep[];
  /** One of the runtime failures the platform docs list: a live release logging it is degraded. */
  degradesLiveRelease?: true;
  docs?: string;
  variants?: Record<string, string>;
};

export type FailureCode = keyof typeof FAILURE_CODES;

/** The catalogue entry of a code, widened so optional fields can be read without narrowing. */
export function failureCodeEntry(code: FailureCode): FailureCodeEntry {
  return FAILURE_CODES[code];
}

/** Whether a code only says which step failed (a fallback), so the log may name the cause. */
export function onlyNamesStep(code: FailureCode): boolean {
  return failureCodeEntry(code).fallbackFor !== undefined;
}

/** Whether a live release that logs this failure is marked degraded. */
export function degradesLiveRelease(code: FailureCode): boolean {
  return failureCodeEntry(code).degradesLiveRelease === true;
}

/**
 * What a failure that names no cause means in each step, read off the entries' `fallbackFor`:
 * a build tool's error fails the build, an uncaught error at start is a crash, any SQL error
 * while applying the schema fails the migration. Runtime errors that name nothing are not a
 * verdict: the app keeps serving.
 */
export const STEP_FAILURE_CODES: Readonly<Record<FailureStep, FailureCode>> = stepFallbacks();

// Each step has exactly one fallback: a catalogue that says otherwise fails at load.
function stepFallbacks(): Record<FailureStep, FailureCode> {
  const byStep: Partial<Record<FailureStep, FailureCode>> = {};
  for (const code of Object.keys(FAILURE_CODES) as FailureCode[]) {
    for (const step of failureCodeEntry(code).fallbackFor ?? []) {
      if (byStep[step])
        throw new Error(`step ${step} has two fallback codes: ${byStep[step]}, ${code}`);
      byStep[step] = code;
    }
  }
  const missing = FAILURE_STEPS.filter((step) => !byStep[step]);
  if (missing.length > 0) throw new Error(`no fallback code for step ${missing.join(", ")}`);
  return byStep as Record<FailureStep, FailureCode>;
}
