import { randomUUID } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { JobType } from "bullmq";
import { execa } from "execa";
import { type ProcessInfo, processInfo } from "../../src/exec/process-identity.js";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { DEPLOY_JOB } from "../../src/queue/deploy-job.js";
import { freePort } from "../../src/releases/free-port.js";
import { caddyFiles } from "../../src/router/caddy-files.js";
import { addProject } from "../../src/store/projects.js";
import { supervisorPaths } from "../../src/supervision/supervisor-paths.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { runningReleases } from "../helpers/releases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { BIN, startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// 300 signed push deliveries for 50 projects, a third of them redeliveries, sent at once to a
// real `serve` process, deployed by a real worker process (concurrency 3).

/** Each project's own webhook secret, which signs its deliveries. */
const secrets = new Map<string, string>();
const PROJECTS = 50;
const COMMITS_PER_PROJECT = 4;
const REDELIVERIES = 100;

let stack: TestStack;
let worker: WorkerProcess | undefined;
let serve: Awaited<ReturnType<typeof startServe>> | undefined;

beforeAll(async () => {
  stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0" });
});
afterAll(async () => {
  serve?.child.kill("SIGKILL");
  worker?.child.kill("SIGKILL");
  await Promise.all([serve?.child, worker?.child]);
  await stack?.close();
});

type Delivery = { id: string; project: string; body: string };

async function startServe(port: number) {
  const child = execa("node", [BIN, "serve"], {
    env: { ...stack.env, LOG_LEVEL: "info", HTTP_PORT: String(port) },
    extendEnv: true,
    reject: false,
    buffer: false,
    stdout: "pipe",
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor("serve to listen", () => output.includes('"msg":"http ready"'), 30_000);
  return { child, errors: () => output.split("\n").filter((line) => line.includes('"level":50')) };
}

function send(port: number, delivery: Delivery) {
  return fetch(`http://127.0.0.1:${port}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": delivery.id,
      "x-hub-signature-256": githubSignature(secrets.get(delivery.project)!, delivery.body),
    },
    body: delivery.body,
  }).then(async (response) => ({
    delivery,
    status: response.status,
    body: (await response.json()) as { deploymentId?: string; error?: string },
  }));
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The pids of the Caddy and the supervisord a worker started under `dataDir`, from their pid files. */
async function releaseHostPids(dataDir: string): Promise<Set<number>> {
  const files = [
    caddyFiles(path.join(dataDir, "caddy")).pid,
    supervisorPaths(path.join(dataDir, "supervisor")).pidfile,
  ];
  const pids = await Promise.all(
    files.map((file) =>
      readFile(file, "utf8").then(
        (text) => Number(text.trim()),
        () => null,
      ),
    ),
  );
  return new Set(pids.filter((pid): pid is number => pid !== null));
}

/** Processes (not zombies) whose working directory is inside `dir`. */
function processesIn(dir: string): ProcessInfo[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      if (!readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) return [];
    } catch {
      return [];
    }
    const info = processInfo(Number(entry));
    return info ? [info] : [];
  });
}

describe("300 webhook deliveries for 50 projects at once", () => {
  it("records one deployment per unique delivery, serializes each project's deploys, and finishes them all", async () => {
    const unique: Delivery[] = [];
    for (let p = 0; p < PROJECTS; p++) {
      const project = `load-${p}`;
      const repo = await fixtureRepo("blocking-app");
      const added = await addProject(stack.db, stack.keyring, {
        slug: project,
        repoUrl: repo.dir,
        branch: "main",
      });
      secrets.set(project, added.webhookSecret);
      for (let c = 0; c < COMMITS_PER_PROJECT; c++) {
        const sha = await repo.commit({ "version.txt": `${c}\n` }, `commit ${c}`);
        const body = JSON.stringify({
          ref: "refs/heads/main",
          after: sha,
          repository: { full_name: `local/${project}`, clone_url: repo.dir },
        });
        unique.push({ id: randomUUID(), project, body });
      }
    }
    const redeliveries = shuffled(unique).slice(0, REDELIVERIES);
    const deliveries = shuffled([...unique, ...redeliveries]);
    expect(deliveries).toHaveLength(300);

    const port = await freePort();
    serve = await startServe(port);
    // Its shutdown after this load is a few hundred ms alone; in CI beside another suite it
    // twice outlasted execa's default 5 s: given 30 s, a hang still fails and says how it ended.
    worker = await startWorkerProcess(
      { ...stack.env, WORKER_CONCURRENCY: "3" },
      { forceKillAfterMs: 30_000 },
    );
    const answers = await Promise.all(deliveries.map((delivery) => send(port, delivery)));

    // One deployment per unique delivery: its first answer is 201, a redelivery's 200, with the
    // same deployment (whichever of two concurrent copies is recorded first).
    expect([answers.filter((a) => ![200, 201].includes(a.status)).length, serve.errors()]).toEqual([
      0,
      [],
    ]);
    const byDelivery = new Map<string, Set<string>>();
    for (const answer of answers) {
      const ids = byDelivery.get(answer.delivery.id) ?? new Set();
      ids.add(answer.body.deploymentId!);
      byDelivery.set(answer.delivery.id, ids);
    }
    expect(byDelivery.size).toBe(unique.length);
    expect([...byDelivery.values()].every((ids) => ids.size === 1)).toBe(true);
    const deploymentIds = new Set([...byDelivery.values()].flatMap((ids) => [...ids]));
    expect(deploymentIds.size).toBe(unique.length);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(unique.length);

    // All of them end; the newest recorded deploy of each project goes live.
    await waitFor(
      "every deployment to end",
      async () =>
        (await stack.db.deployment.count({ where: { status: { in: ["queued", "running"] } } })) ===
        0,
      480_000,
    );
    const deployments = await stack.db.deployment.findMany({
      include: { project: { select: { slug: true, liveDeploymentId: true } } },
      orderBy: { queuedAt: "asc" },
    });
    expect(deployments.filter((d) => !["succeeded", "superseded"].includes(d.status))).toEqual([]);
    expect(deployments.every((d) => d.attempt <= 1)).toBe(true);

    for (let p = 0; p < PROJECTS; p++) {
      const project = `load-${p}`;
      const ran = deployments
        .filter((d) => d.project.slug === project && d.startedAt !== null)
        .sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime());
      // Strictly one at a time: each started after the one before had finished.
      for (let i = 1; i < ran.length; i++) {
        expect(ran[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(
          ran[i - 1]!.finishedAt!.getTime(),
        );
      }
      const last = ran[ran.length - 1]!;
      expect([project, last.project.liveDeploymentId]).toEqual([project, last.id]);
      // No release but the live one still runs.
      expect([project, await runningReleases(stack.db, project)]).toEqual([project, [last.id]]);
    }

    // Redis: every deploy job ended and completed (a superseded deploy's job completes doing
    // nothing). The queue also holds the backup-pruning scheduler's next job: not a deploy.
    const deployJobs = async (...states: JobType[]) =>
      (await stack.queue.getJobs(states)).filter((job) => job.name === DEPLOY_JOB);
    await waitFor(
      "the deploy jobs to drain",
      async () => (await deployJobs("waiting", "active", "delayed", "prioritized")).length === 0,
    );
    expect((await deployJobs("completed")).length).toBe(unique.length);
    expect(await deployJobs("failed")).toEqual([]);

    // Postgres: exactly the rows expected.
    expect(await stack.db.project.count()).toBe(PROJECTS);
    expect(await stack.db.projectDatabase.count()).toBe(PROJECTS);
    expect(await stack.db.deployment.count()).toBe(unique.length);
    expect(await stack.db.webhookDelivery.count()).toBe(unique.length);
    expect(await stack.db.deploymentStep.count()).toBe(unique.length * 6);
    expect(
      await stack.db.deploymentStep.count({ where: { status: { in: ["running", "pending"] } } }),
    ).toBe(0);

    // No orphans: inside the data directory only the live releases' processes run.
    const live = new Set(
      deployments.filter((d) => d.project.liveDeploymentId === d.id).map((d) => d.releasePid),
    );
    // Beside them, the stack's own Caddy (whose directory is there) and supervisord: the release
    // host, which outlives workers on purpose.
    const host = await releaseHostPids(stack.config.dataDir);
    const everything = processesIn(stack.config.dataDir);
    expect(everything.length).toBeGreaterThanOrEqual(PROJECTS);
    expect(
      everything.filter((process) => !live.has(process.pgid) && !host.has(process.pid)),
    ).toEqual([]);

    const stopping = Date.now();
    worker.child.kill("SIGTERM");
    serve.child.kill("SIGTERM");
    const ended = await worker.child;
    // How it ended, how long it took and what it logged last, should it not exit 0.
    const how = {
      exitCode: ended.exitCode,
      signal: ended.signal,
      shutdownMs: Date.now() - stopping,
      lastLogs: worker.logs.slice(-10).map((entry) => `${entry.time} ${entry.msg}`),
    };
    expect(how).toEqual({ ...how, exitCode: 0 });
    expect((await serve.child).exitCode).toBe(0);
  }, 600_000);
});
