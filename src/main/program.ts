import { Command } from "commander";
import type { Config } from "../config.js";

// Kept so that old scripts still run: each project has its own webhook secret, so serving
// never needs GITHUB_WEBHOOK_SECRET any more.
const INSECURE_FLAG = "--insecure-no-webhook-secret";
const INSECURE_HELP = "no effect (kept for old scripts): each project has its own webhook secret";

/**
 * The environment, read when a command needs it: config.ts and its zod schema load only then.
 * Every module a command uses is imported inside its action for the same reason, so that
 * `--help` loads nothing but commander and each command loads only what it uses (Prisma,
 * BullMQ and fastify take most of a second to load; bench item 11 holds the start-up time).
 */
async function loadConfig(): Promise<Config> {
  return (await import("../config.js")).loadConfig();
}

/** The `coduck-worker` command line. Each action resolves with the process exit code. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const io = { out: process.stdout, err: process.stderr };
  const program = new Command("coduck-worker")
    .description("CoDuck deploy worker: runs deploy jobs from the queue and records every step")
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => io.err.write(text) });

  program
    .command("start")
    .description("run the worker: take deploy jobs from the queue until SIGTERM/SIGINT")
    .option("--with-http", "also serve HTTP (webhook intake) on HTTP_PORT in this process")
    .option(INSECURE_FLAG, INSECURE_HELP)
    .action(async (options) => {
      const config = await loadConfig();
      const { requireWebhookSecret } = await import("./require-webhook-secret.js");
      if (options.withHttp) requireWebhookSecret(config);
      const [{ runWorker }, { createLogger }] = await Promise.all([
        import("./run-worker.js"),
        import("../logger.js"),
      ]);
      setExitCode(
        await runWorker(config, createLogger(config.logLevel), { withHttp: options.withHttp }),
      );
    });

  program
    .command("serve")
    .description("serve HTTP only (webhook intake, /healthz) on HTTP_PORT until SIGTERM/SIGINT")
    .option(INSECURE_FLAG, INSECURE_HELP)
    .action(async () => {
      const config = await loadConfig();
      const { requireWebhookSecret } = await import("./require-webhook-secret.js");
      requireWebhookSecret(config);
      const [{ serveHttp }, { createLogger }] = await Promise.all([
        import("./serve-http.js"),
        import("../logger.js"),
      ]);
      setExitCode(await serveHttp(config, createLogger(config.logLevel)));
    });

  program
    .command("migrate")
    .description("create the worker's database if missing and apply its migrations")
    .action(async () => {
      const { migrate } = await import("../cli/migrate.js");
      await migrate(await loadConfig(), io.out);
    });

  program
    .command("deploy")
    .description("queue a deploy of a repository's ref, as the git-push webhook does")
    .requiredOption("--project <slug>", "the project to deploy")
    .requiredOption("--repo <git-url>", "the repository: URL, user@host:path, or local path")
    .requiredOption("--ref <ref>", "the branch, tag or commit sha to deploy")
    .option("--wait", "follow the deploy step by step; exit 0 on success, 1 on failure")
    .option("--json", "print the deployment record as JSON (progress goes to stderr)")
    .action(async (options) => {
      const { deploy } = await import("../cli/deploy.js");
      setExitCode(await deploy(await loadConfig(), options, io));
    });

  const projects = program.command("projects").description("the projects pushes deploy");
  projects
    .command("add <slug>")
    .description(
      "register a project: pushes to its branch of its repository deploy it; prints its webhook secret once",
    )
    .requiredOption("--repo <git-url>", "the repository: URL, user@host:path, or local path")
    .option("--branch <branch>", "the branch whose pushes deploy", "main")
    .option(
      "--host <host>",
      "the host it lives on (must be up); default: the least-loaded host that is up",
    )
    .action(async (slug, options) => {
      const { addProjectCommand } = await import("../cli/projects.js");
      await addProjectCommand(await loadConfig(), slug, options, io.out);
    });
  projects
    .command("set <slug>")
    .description("change a project's repository, deploy branch or notification URL")
    .option("--repo <git-url>", "the new repository")
    .option("--branch <branch>", "the new deploy branch")
    .option(
      "--rotate-webhook-secret",
      "make a new webhook secret (shown once); the old one stops working",
    )
    .option("--notify-url <https-url>", "POST every deployment status change here, signed")
    .option("--rotate-notify-secret", "make a new signing secret (shown once)")
    .option("--no-notify", "stop notifying: remove the URL and its secret")
    .action(async (slug, options) => {
      const { parseNotifyOptions, setProjectNotifyCommand } = await import(
        "../cli/project-notify.js"
      );
      const { setProjectCommand } = await import("../cli/projects.js");
      const notify = parseNotifyOptions(options);
      const config = await loadConfig();
      if (
        !notify ||
        options.repo !== undefined ||
        options.branch !== undefined ||
        options.rotateWebhookSecret
      )
        await setProjectCommand(config, slug, options, io.out);
      if (notify) await setProjectNotifyCommand(config, slug, notify, io.out);
    });
  projects
    .command("limits <slug>")
    .description(
      "show or set the memory, process and CPU limits of a project's boxes (builds and its release)",
    )
    .option("--memory-mb <n|default>", "memory of each box, in MiB (at least 64)")
    .option("--pids <n|default>", "processes and threads each box may have (at least 16)")
    .option("--cpu-shares <n|default>", "CPU share against other boxes (2 to 262144; 1024 is even)")
    .action(async (slug, options) => {
      const { projectLimitsCommand } = await import("../cli/project-limits.js");
      await projectLimitsCommand(await loadConfig(), slug, options, io.out);
    });
  projects
    .command("list")
    .description("every project with its repository, branch and live deployment")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { listProjectsCommand } = await import("../cli/projects.js");
      await listProjectsCommand(await loadConfig(), options, io.out);
    });
  projects
    .command("move <slug>")
    .description(
      "move a project to another host (its database, release and traffic), or --cleanup the source's database after",
    )
    .option("--to <host>", "the host to move it to")
    .option("--cleanup", "drop the source host's copy of the database, once the move is done")
    .option(
      "--abort",
      "end its running move as failed (a stage whose host is gone): the source takes writes again",
    )
    .option("--confirm <slug>", "the project slug again")
    .option("--wait", "wait for it; exit 0 when it moved (or was cleaned up), 1 when it failed")
    .option("--json", "print the move record as JSON")
    .action(async (slug, options) => {
      const { projectsMoveCommand } = await import("../cli/projects-move.js");
      setExitCode(await projectsMoveCommand(await loadConfig(), slug, options, io));
    });

  projects
    .command("show <slug>")
    .description("one project: its database, last 5 deploys and live release")
    .option("--json", "print JSON")
    .action(async (slug, options) => {
      const { showProjectCommand } = await import("../cli/projects.js");
      await showProjectCommand(await loadConfig(), slug, options, io.out);
    });

  const hosts = program
    .command("hosts")
    .description("the hosts of the installation: each runs the jobs of the projects placed on it");
  hosts
    .command("list")
    .description(
      "every host: its state (up, draining, down since …), projects, capacity, last heartbeat",
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      const { listHostsCommand } = await import("../cli/hosts.js");
      await listHostsCommand(await loadConfig(), options, io.out);
    });
  hosts
    .command("drain <host>")
    .description(
      "place no new projects on a host, and print the move of each project still there (--move: request them all)",
    )
    .option(
      "--move",
      "also request a move of every project on the host, each to the least-loaded other host that is up",
    )
    .option("--confirm <host>", "the host id again (with --move)")
    .option(
      "--wait",
      "with --move: wait for the moves; exit 0 when every project moved, 1 otherwise",
    )
    .action(async (host, options) => {
      const { drainHostCommand } = await import("../cli/hosts-drain.js");
      setExitCode(await drainHostCommand(await loadConfig(), host, options, io.out));
    });
  hosts
    .command("undrain <host>")
    .description("place new projects on a drained host again")
    .action(async (host) => {
      const { undrainHostCommand } = await import("../cli/hosts.js");
      await undrainHostCommand(await loadConfig(), host, io.out);
    });

  program
    .command("provision")
    .description("create (or complete, or repair) a project's database, role and PgBouncer lookup")
    .requiredOption("--project <slug>", "the project")
    .action(async (options) => {
      const { provisionCommand } = await import("../cli/db.js");
      await provisionCommand(await loadConfig(), options.project, io.out);
    });

  const db = program.command("db").description("a project's database");
  db.command("info")
    .description("size, connections, PgBouncer lookup state and URLs (passwords masked)")
    .requiredOption("--project <slug>", "the project")
    .option("--show-secrets", "print the URLs with their passwords")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { dbInfoCommand } = await import("../cli/db.js");
      setExitCode(await dbInfoCommand(await loadConfig(), options, io.out));
    });
  db.command("repair")
    .description("restore the role, grants and PgBouncer lookup objects")
    .requiredOption("--project <slug>", "the project")
    .action(async (options) => {
      const { provisionCommand } = await import("../cli/db.js");
      await provisionCommand(await loadConfig(), options.project, io.out);
    });
  db.command("baseline")
    .description(
      "after a switch from the automatic push to prisma migrate deploy (P3005): mark the app's migrations whose tables already exist as applied",
    )
    .requiredOption("--project <slug>", "the project")
    .option(
      "--deployment <id>",
      "the deployment whose migrations to use (default: the latest failed)",
    )
    .action(async (options) => {
      const { dbBaselineCommand } = await import("../cli/db-baseline.js");
      await dbBaselineCommand(await loadConfig(), options, io.out);
    });
  db.command("drop")
    .description("drop a deleted project's database and role (asks for the slug as confirmation)")
    .requiredOption("--project <slug>", "the project")
    .option("--confirm <slug>", "the project slug again")
    .action(async (options) => {
      const { dbDropCommand } = await import("../cli/db.js");
      await dbDropCommand(await loadConfig(), options, io.out);
    });

  db.command("tables")
    .description("the project's tables with row estimates and sizes (read-only)")
    .requiredOption("--project <slug>", "the project")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { dbTablesCommand } = await import("../cli/db-tables.js");
      await dbTablesCommand(await loadConfig(), options, io.out);
    });
  db.command("schema")
    .description("columns, types and indexes of every table (read-only)")
    .requiredOption("--project <slug>", "the project")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { dbSchemaCommand } = await import("../cli/db-schema.js");
      await dbSchemaCommand(await loadConfig(), options, io.out);
    });
  db.command("rows")
    .description("the most recent rows of one table, by primary key (read-only)")
    .requiredOption("--project <slug>", "the project")
    .requiredOption("--table <table>", "the table: name or schema.name")
    .option("--limit <n>", "how many rows (1-1000)", "20")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { dbRowsCommand } = await import("../cli/db-rows.js");
      await dbRowsCommand(await loadConfig(), options, io.out);
    });

  const backups = program.command("backups").description("a project's database backups");
  backups
    .command("create")
    .description("queue a backup (pg_dump, plain SQL, gzip) of a project's database")
    .requiredOption("--project <slug>", "the project")
    .option("--wait", "wait for it; exit 0 when it succeeded, 1 when it failed")
    .option("--json", "print the backup record as JSON")
    .action(async (options) => {
      const { createBackupCommand } = await import("../cli/backups.js");
      setExitCode(await createBackupCommand(await loadConfig(), options, io));
    });
  backups
    .command("list")
    .description("a project's backups, newest first")
    .requiredOption("--project <slug>", "the project")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { listBackupsCommand } = await import("../cli/backups.js");
      await listBackupsCommand(await loadConfig(), options, io.out);
    });
  backups
    .command("download <id>")
    .description("write a backup's .sql.gz to a file (checked against its sha256)")
    .option("-o, --output <file>", "where to write it (- for stdout)")
    .action(async (id, options) => {
      const { downloadBackupCommand } = await import("../cli/backups.js");
      await downloadBackupCommand(await loadConfig(), id, options, io);
    });

  program
    .command("restore")
    .description("restore a backup over a project's database (destructive; asks for the slug)")
    .requiredOption("--project <slug>", "the project")
    .requiredOption("--backup <id>", "the backup to restore")
    .option("--confirm <slug>", "the project slug again")
    .option("--wait", "wait for it; exit 0 when it succeeded, 1 when it failed")
    .option("--json", "print the restore record as JSON")
    .action(async (options) => {
      const { restoreCommand } = await import("../cli/restore.js");
      setExitCode(await restoreCommand(await loadConfig(), options, io));
    });

  program
    .command("cancel <id>")
    .description("cancel a queued or running deploy (from any machine)")
    .action(async (id) => {
      const { cancelCommand } = await import("../cli/cancel.js");
      await cancelCommand(await loadConfig(), id, io.out);
    });

  const env = program
    .command("env")
    .description("a project's variables, kept encrypted by the platform and injected into its app");
  env
    .command("set <pairs...>")
    .description("set KEY=VALUE variables for the project's next deploys")
    .requiredOption("--project <slug>", "the project")
    .option("--secret", "the values are secrets: redacted from logs, hidden by env list")
    .action(async (pairs, options) => {
      const { envSetCommand } = await import("../cli/env.js");
      await envSetCommand(await loadConfig(), pairs, options, io.out);
    });
  env
    .command("list")
    .description("the project's variables (secret values hidden unless --reveal)")
    .requiredOption("--project <slug>", "the project")
    .option("--reveal", "show secret values too")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { envListCommand } = await import("../cli/env.js");
      await envListCommand(await loadConfig(), options, io.out);
    });
  env
    .command("unset <names...>")
    .description("remove variables from the project's next deploys")
    .requiredOption("--project <slug>", "the project")
    .action(async (names, options) => {
      const { envUnsetCommand } = await import("../cli/env.js");
      await envUnsetCommand(await loadConfig(), names, options, io.out);
    });

  program
    .command("retry [id]")
    .description(
      "retry a failed or cancelled deploy as a new deployment, from its failed step when it can",
    )
    .option("--from <step>", "the first step to run again (provision always runs)")
    .option("--all-failed", "retry each project's latest deployment, when it failed")
    .option("--project <slug>", "with --all-failed: only this project")
    .option("--code <code>", "with --all-failed: only deployments that failed with this code")
    .option(
      "--since <duration>",
      "with --all-failed: only deployments that ended since (30m, 1h, 2d)",
    )
    .option("--dry-run", "with --all-failed: print what would be retried, record nothing")
    .option("--wait", "follow the retry step by step; exit 0 on success, 1 on failure")
    .option("--json", "print the retry (and with --wait its final status) as JSON")
    .action(async (id, options) => {
      const { retryCommand } = await import("../cli/retry.js");
      setExitCode(await retryCommand(await loadConfig(), id, options, io));
    });

  program
    .command("rollback")
    .description("make an earlier successful release live again (the schema is not rolled back)")
    .requiredOption("--project <slug>", "the project")
    .option(
      "--to <deployment-id>",
      "the release to serve (default: the newest before the live one)",
    )
    .option("--wait", "follow the rollback step by step; exit 0 once the release is live")
    .option("--json", "print the rollback (and with --wait its final status) as JSON")
    .action(async (options) => {
      const { rollbackCommand } = await import("../cli/rollback.js");
      setExitCode(await rollbackCommand(await loadConfig(), options, io));
    });

  const releases = program
    .command("releases")
    .description("each project's live release: its state under supervisord, restart, stop");
  releases
    .command("list")
    .description("each project's live release: URL, upstream, state, pid, uptime, restarts, memory")
    .option("--project <slug>", "only this project's")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { listReleasesCommand } = await import("../cli/releases.js");
      await listReleasesCommand(await loadConfig(), options, io);
    });
  releases
    .command("restart")
    .description("stop the live release's process and start it again (same release)")
    .requiredOption("--project <slug>", "the project")
    .action(async (options) => {
      const { restartReleaseCommand } = await import("../cli/releases.js");
      await restartReleaseCommand(await loadConfig(), options, io.out);
    });
  releases
    .command("stop")
    .description("take the project off the air: stop its live release, remove its route (404)")
    .requiredOption("--project <slug>", "the project")
    .action(async (options) => {
      const { stopReleaseCommand } = await import("../cli/releases.js");
      await stopReleaseCommand(await loadConfig(), options, io.out);
    });

  const deployments = program.command("deployments").description("inspect deployments");
  deployments
    .command("list")
    .description("list deployments, newest first")
    .option("--status <status>", "only deployments with this status")
    .option("--project <slug>", "only this project's deployments")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { listDeployments } = await import("../cli/deployments.js");
      await listDeployments(await loadConfig(), options, io.out);
    });
  deployments
    .command("show <id>")
    .description("show one deployment with its steps")
    .option("--json", "print JSON")
    .action(async (id, options) => {
      const { showDeployment } = await import("../cli/deployments.js");
      setExitCode(await showDeployment(await loadConfig(), id, options, io.out));
    });
  deployments
    .command("logs <id>")
    .description("print a deployment's step logs as <step> | <line> (stderr lines marked !)")
    .option("--step <step>", "only this step's lines")
    .option("--follow", "keep printing new lines until the deployment has ended")
    .action(async (id, options) => {
      const { deploymentLogs } = await import("../cli/deployment-logs.js");
      setExitCode(await deploymentLogs(await loadConfig(), id, options, io.out));
    });

  program
    .command("doctor")
    .description(
      "check Redis, Postgres, PgBouncer, disk and sandbox: ok, warn or fail, with what to do",
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      const { doctorCommand } = await import("../cli/doctor.js");
      setExitCode(await doctorCommand(await loadConfig(), options, io.out));
    });

  program
    .command("housekeeping")
    .description("the housekeeping jobs (release directories, stored logs, finished queue jobs)")
    .command("run")
    .description("run the housekeeping jobs now, on this machine's DATA_DIR")
    .option("--dry-run", "say what would be removed, remove nothing")
    .option("--only <job>", "only this job: prune-releases, prune-logs or clean-jobs")
    .option("--json", "print the summaries as JSON")
    .action(async (options) => {
      const { housekeepingRunCommand } = await import("../cli/housekeeping.js");
      await housekeepingRunCommand(await loadConfig(), options, io.out);
    });

  program
    .command("classify [file]")
    .description("classify a failed step's log (FILE, or - for stdin): its code, fix and evidence")
    .option("--step <step>", "the step that printed the log", "build")
    .option("--exit-code <n>", "the step's exit status (default: unknown)")
    .option("--json", "print the classification as JSON")
    .option("--jsonl <file>", "classify a file of {id, step, exitCode, log} lines")
    .action(async (file, options) => {
      const { classifyCommand } = await import("../cli/classify.js");
      setExitCode(await classifyCommand(file, options, { in: process.stdin, out: io.out }));
    });

  return program;
}
