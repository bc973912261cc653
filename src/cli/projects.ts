import { type Config, HOST_ID_PATTERN } from "../config.js";
import { parseProjectSettings, projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { loadKeyring } from "../secrets/keyring.js";
import {
  chooseHost,
  describeHostState,
  getHost,
  placementFor,
  placeProject,
} from "../store/hosts.js";
import { connectDb, type Db } from "../store/prisma.js";
import { latestProjectMove } from "../store/project-moves.js";
import {
  addProject,
  getProjectOverview,
  listProjects,
  ProjectConflictError,
  updateProject,
} from "../store/projects.js";
import { inTransaction } from "../store/sql-transaction.js";
import { describeMove } from "./projects-move.js";

type Out = NodeJS.WritableStream;

/** A deploy branch is a ref name like any other (deploy-request's rules), without `refs/`. */
function settingsOf(slug: string, repo: string, branch: string) {
  const parsed = parseProjectSettings({ project: slug, repoUrl: repo, ref: branch });
  if (!parsed.success) {
    const flag = { project: "<slug>", repoUrl: "--repo", ref: "--branch" } as Record<
      string,
      string
    >;
    throw new UsageError(
      parsed.error.issues.map((i) => `${flag[String(i.path[0])]}: ${i.message}`).join("\n"),
    );
  }
  if (/^[0-9a-f]{40}$/.test(branch) || branch.startsWith("refs/"))
    throw new UsageError("--branch: expected a branch name such as main, not a sha or refs/…");
  return { slug: parsed.data.project, repoUrl: parsed.data.repoUrl, branch: parsed.data.ref };
}

function slugOf(value: string): string {
  const parsed = projectSlug.safeParse(value);
  if (!parsed.success) throw new UsageError(`<slug>: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

async function withDb<T>(config: Config, work: (db: Db) => Promise<T>): Promise<T> {
  const db = connectDb(config.databaseUrl);
  try {
    return await work(db);
  } catch (error) {
    if (error instanceof ProjectConflictError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  } finally {
    await db.$disconnect();
  }
}

/**
 * How a new webhook secret is printed: once, never stored in clear, with where it goes. The
 * secret is alone on its line, so a script can take it with `tail -n 1`.
 */
function printWebhookSecret(out: Out, slug: string, secret: string): void {
  out.write(
    `webhook secret of ${slug} (shown once; set it as the secret of the repository's GitHub webhook):\n${secret}\n`,
  );
}

/**
 * `coduck-worker projects add <slug> --repo <url> [--branch main] [--host H]`: placed on `--host`
 * (which must be up) or the least-loaded host that is up, where it then lives; prints its
 * webhook secret once.
 */
export async function addProjectCommand(
  config: Config,
  slug: string,
  options: { repo: string; branch: string; host?: string },
  out: Out,
): Promise<void> {
  const settings = settingsOf(slug, options.repo, options.branch);
  if (options.host !== undefined && !HOST_ID_PATTERN.test(options.host))
    throw new UsageError(`--host: not a host id: ${JSON.stringify(options.host)}`);
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  const placement = placementFor(config.host, options.host);
  const { added, hostId } = await withDb(config, async (db) => {
    // The host is chosen first: a refused --host adds nothing.
    const chosen = await inTransaction(db, (sql) => chooseHost(sql, placement));
    const added = await addProject(db, keyring, settings);
    return { added, hostId: await placeProject(db, settings.slug, chosen) };
  });
  out.write(
    `project ${settings.slug} added on host ${hostId}: pushes to ${settings.branch} of ${added.project.repoUrl} deploy it\n`,
  );
  printWebhookSecret(out, settings.slug, added.webhookSecret);
}

/**
 * `coduck-worker projects set <slug> [--repo <url>] [--branch <branch>]
 * [--rotate-webhook-secret]`: the explicit change; a new webhook secret is printed once.
 */
export async function setProjectCommand(
  config: Config,
  slug: string,
  options: { repo?: string; branch?: string; rotateWebhookSecret?: boolean },
  out: Out,
): Promise<void> {
  const valid = slugOf(slug);
  if (options.repo === undefined && options.branch === undefined && !options.rotateWebhookSecret)
    throw new UsageError(
      "nothing to change: give --repo <url>, --branch <branch>, --rotate-webhook-secret, --notify-url <url> or --no-notify",
    );
  const checked = settingsOf(valid, options.repo ?? "/unchanged", options.branch ?? "main");
  const change = {
    ...(options.repo !== undefined && { repoUrl: checked.repoUrl }),
    ...(options.branch !== undefined && { branch: checked.branch }),
    rotateWebhookSecret: options.rotateWebhookSecret === true,
  };
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  const updated = await withDb(config, (db) => updateProject(db, keyring, valid, change));
  if (!updated) throw new UsageError(`no project ${valid}: add it with projects add`);
  const { project } = updated;
  out.write(
    `project ${valid}: pushes to ${project.branch} of ${project.repoUrl ?? "(no repository)"} deploy it\n`,
  );
  if (updated.webhookSecret) {
    out.write("the previous webhook secret no longer verifies any delivery\n");
    printWebhookSecret(out, valid, updated.webhookSecret);
  }
}

/** `own`: the project has its own webhook secret; `none`: only the global fallback could verify its pushes. */
function webhookSecretState(project: { webhookSecretEncrypted: string | null }): "own" | "none" {
  return project.webhookSecretEncrypted === null ? "none" : "own";
}

/** `coduck-worker projects list [--json]`. */
export async function listProjectsCommand(
  config: Config,
  options: { json?: boolean },
  out: Out,
): Promise<void> {
  const projects = await withDb(config, listProjects);
  const rows = projects.map((p) => ({
    slug: p.slug,
    repoUrl: p.repoUrl,
    branch: p.branch,
    webhookSecret: webhookSecretState(p),
    database: p.database?.databaseName ?? null,
    host: p.hostId,
    liveDeploymentId: p.liveDeployment?.id ?? null,
    createdAt: p.createdAt.toISOString(),
  }));
  if (options.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    out.write("no projects: add one with coduck-worker projects add <slug> --repo <url>\n");
    return;
  }
  for (const p of rows) {
    out.write(
      `${[p.slug.padEnd(20), (p.host ?? "(no host)").padEnd(12), p.branch.padEnd(12), p.repoUrl ?? "-", p.liveDeploymentId ? `live ${p.liveDeploymentId}` : ""].join("  ").trimEnd()}\n`,
    );
  }
}

/** `coduck-worker projects show <slug> [--json]`: its database, last 5 deploys, live release. */
export async function showProjectCommand(
  config: Config,
  slug: string,
  options: { json?: boolean },
  out: Out,
): Promise<void> {
  const valid = slugOf(slug);
  const [project, move, host] = await withDb(config, async (db) => {
    const found = await getProjectOverview(db, valid);
    return [
      found,
      found ? await latestProjectMove(db, found.id) : null,
      found?.hostId ? await getHost(db, found.hostId, config.host.downAfterMs) : null,
    ] as const;
  });
  if (!project) throw new UsageError(`no project ${valid}`);
  const live = project.liveDeployment;
  const shown = {
    slug: project.slug,
    repoUrl: project.repoUrl,
    branch: project.branch,
    webhookSecret: webhookSecretState(project),
    host: project.hostId && {
      id: project.hostId,
      state: host?.state ?? "down",
      downSince: host?.downSince?.toISOString() ?? null,
    },
    database: project.database && {
      name: project.database.databaseName,
      provisionedAt: project.database.provisionedAt?.toISOString() ?? null,
      verifiedAt: project.database.verifiedAt?.toISOString() ?? null,
    },
    notifyUrl: project.notificationTarget?.url ?? null,
    move: move && {
      id: move.id,
      from: move.fromHostId,
      to: move.toHostId,
      status: move.status,
      stage: move.stage,
      error: move.error,
      cleanup: move.cleanupStatus,
      summary: describeMove(move),
      log: move.log,
    },
    live: live && {
      deploymentId: live.id,
      commitSha: live.commitSha,
      url: live.releasePort === null ? null : `http://127.0.0.1:${live.releasePort}`,
      pid: live.releasePid,
      startedAt: live.releaseStartedAt?.toISOString() ?? null,
      degradedCode: live.degradedCode,
    },
    deployments: project.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      trigger: d.trigger,
      ref: d.ref,
      commitSha: d.commitSha,
      errorCode: d.errorCode,
      queuedAt: d.queuedAt.toISOString(),
      finishedAt: d.finishedAt?.toISOString() ?? null,
    })),
  };
  if (options.json) {
    out.write(`${JSON.stringify(shown, null, 2)}\n`);
    return;
  }
  const lines = [
    `project      ${shown.slug}`,
    `repository   ${shown.repoUrl ?? "-"} (deploys ${shown.branch})`,
    `webhook      ${shown.webhookSecret === "own" ? "its own secret" : `no secret of its own: pushes are refused unless WEBHOOK_GLOBAL_SECRET_FALLBACK=1 (make one: coduck-worker projects set ${shown.slug} --rotate-webhook-secret)`}`,
    `host         ${shown.host ? `${shown.host.id} (${host ? describeHostState(host) : "not registered"})` : "none yet (placed at its first deploy)"}`,
    `database     ${shown.database ? shown.database.name : "not provisioned yet (created on the first deploy)"}`,
    `notify       ${shown.notifyUrl ?? "-"}`,
    ...(shown.move ? [`last move    ${shown.move.summary}`] : []),
    `live         ${shown.live ? `${shown.live.deploymentId} (${shown.live.commitSha?.slice(0, 12) ?? "?"}) at ${shown.live.url ?? "?"}${shown.live.degradedCode ? `, degraded: ${shown.live.degradedCode}` : ""}` : "nothing live"}`,
    "last deploys",
    ...(shown.deployments.length === 0
      ? ["  none yet"]
      : shown.deployments.map((d) =>
          `  ${[d.id, d.status.padEnd(10), d.trigger.padEnd(8), d.commitSha?.slice(0, 12) ?? d.ref, d.errorCode ?? ""].join("  ")}`.trimEnd(),
        )),
  ];
  out.write(`${lines.join("\n")}\n`);
}
