import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { deploymentWait } from "../../src/cli/deployment-wait.js";
import { loadConfig } from "../../src/config.js";
import { parseDeployRequest } from "../../src/deploys/deploy-request.js";
import { queueDeployment } from "../../src/deploys/queue-deployment.js";
import { stopOwnReleaseHost } from "../../src/hosting/release-host.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { enqueueDeploy } from "../../src/queue/deploy-job.js";
import { createDeployment } from "../../src/store/deployments.js";
import { addHost, placementFor, registerHost } from "../../src/store/hosts.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Every job of a project runs on its host's worker (issue 24): two worker stacks in this
// process share the worker database and the Redis queue prefix, with their own HOST_ID and
// DATA_DIR. (Two clusters and PgBouncers: test/hosts/two-hosts.int.test.ts.)
jest.setTimeout(240_000);

let a: TestStack;
let b: TestStack;
let repo: GitRepo;
const extraDirs: string[] = [];

beforeAll(async () => {
  a = await createTestStack({ HOST_ID: "ra" });
  b = await createTestStack({
    HOST_ID: "rb",
    DATABASE_URL: a.env.DATABASE_URL!,
    QUEUE_PREFIX: a.env.QUEUE_PREFIX!,
    SECRETS_KEY: a.env.SECRETS_KEY!,
    PROJECT_DATABASE_PREFIX: a.env.PROJECT_DATABASE_PREFIX!,
  });
  await a.startWorker();
  await b.startWorker();
  repo = await fixtureRepo("node-http");
}, 120_000);
afterAll(async () => {
  // Host rc's own supervisord and Caddy (under its DATA_DIR), which no stack's close() knows.
  for (const dir of extraDirs)
    await stopOwnReleaseHost(loadConfig({ ...a.env, HOST_ID: "rc", DATA_DIR: dir }));
  await b?.close();
  await a?.close();
  for (const dir of extraDirs) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** Queues a deploy as the CLI does (`projects add --host`, then `deploy`), from stack `from`. */
async function deployOn(from: TestStack, project: string, host?: string): Promise<string> {
  const request = parseDeployRequest({ project, repoUrl: repo.dir, ref: "main" });
  if (!request.success) throw request.error;
  const placement = placementFor(from.config.host, host);
  return queueDeployment({ db: from.db, queues: from.queues, placement }, request.data, "test");
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

describe("per-host queues", () => {
  it("runs each project's deploys on its own host's worker, whichever machine queued them", async () => {
    // Queued from the other host's side each time: the enqueuer routes by the record.
    const onA = await deployOn(b, "on-a", "ra");
    const onB = await deployOn(a, "on-b", "rb");
    const [endA, endB] = [await a.waitForEnd(onA), await a.waitForEnd(onB)];
    expect([endA.status, endB.status]).toEqual(["succeeded", "succeeded"]);
    const rows = await a.db.deployment.findMany({
      where: { id: { in: [onA, onB] } },
      select: { id: true, hostId: true, project: { select: { slug: true, hostId: true } } },
    });
    expect(
      Object.fromEntries(rows.map((r) => [r.project.slug, [r.hostId, r.project.hostId]])),
    ).toEqual({
      "on-a": ["ra", "ra"],
      "on-b": ["rb", "rb"],
    });
    // The release directories are on the host that ran them, and only there.
    const release = (stack: TestStack, project: string, id: string) =>
      path.join(stack.config.dataDir, "releases", project, `${id}-1`);
    expect(await exists(release(a, "on-a", onA))).toBe(true);
    expect(await exists(release(b, "on-a", onA))).toBe(false);
    expect(await exists(release(b, "on-b", onB))).toBe(true);
    expect(await exists(release(a, "on-b", onB))).toBe(false);
    // Each job went through its host's queue, and that queue only.
    expect(await a.queues.deploy("ra").getJobState(onA)).toBe("completed");
    expect(await a.queues.deploy("rb").getJobState(onA)).toBe("unknown");
    expect(await a.queues.deploy("rb").getJobState(onB)).toBe("completed");

    // A later deploy (no --host) goes where the project lives, not to the least loaded host.
    const again = await deployOn(a, "on-b");
    expect((await a.waitForEnd(again)).status).toBe("succeeded");
    expect(await a.queues.deploy("rb").getJobState(again)).toBe("completed");
  });

  it("keeps a deploy of a host with no worker waiting (never run elsewhere), says why, and runs it when the host's worker starts", async () => {
    // rc registered (as its worker would), but its worker is not running.
    await registerHost(a.db, { id: "rc", address: "127.0.0.1:1", maxProjects: 10 });
    const id = await deployOn(a, "on-c", "rc");
    await sleep(1_500);
    const record = await a.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(record.status).toBe("queued");
    expect(record.hostId).toBe("rc");
    const deps = { db: a.db, queues: a.queues, downAfterMs: a.config.host.downAfterMs };
    expect(await deploymentWait(deps, { id, project: "on-c" })).toBe(
      "waiting: no worker is running on host rc to take it (coduck-worker start there)",
    );
    // Its heartbeat stops: it is down, and the wait says since when.
    await a.db
      .$executeRaw`UPDATE "Host" SET "heartbeatAt" = (now() AT TIME ZONE 'UTC') - interval '5 minutes' WHERE id = 'rc'`;
    expect(await deploymentWait(deps, { id, project: "on-c" })).toMatch(
      /^waiting for host rc, down since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: on-c's jobs run only there, and start when its worker is back$/,
    );
    // The other hosts' workers, both running, never took it.
    expect(await a.queues.deploy("rc").getJobState(id)).toBe("waiting");
    expect((await a.db.deployment.findUniqueOrThrow({ where: { id } })).status).toBe("queued");

    // rc comes back: a worker of host rc (its own DATA_DIR) starts and runs it.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-data-rc-"));
    extraDirs.push(dataDir);
    await a.startWorker({ HOST_ID: "rc", DATA_DIR: dataDir });
    expect((await a.waitForEnd(id)).status).toBe("succeeded");
    expect(await exists(path.join(dataDir, "releases", "on-c", `${id}-1`))).toBe(true);
  });

  it("a worker refuses a job of a deployment recorded for another host, and never runs it", async () => {
    await addHost(a.db, { id: "rz", address: "127.0.0.1:1", maxProjects: 10 });
    const { id } = await createDeployment(a.db, {
      project: "on-z",
      repoUrl: repo.dir,
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
      hostId: "rz",
    });
    // Put on rb's queue by mistake (or by hand): rb's worker refuses it.
    await enqueueDeploy(a.queues, "rb", id);
    const queue = a.queues.deploy("rb");
    for (let i = 0; i < 100 && (await queue.getJobState(id)) !== "failed"; i++) await sleep(100);
    const job = await queue.getJob(id);
    expect(job?.failedReason).toBe(
      `refused: job ${id} (deploy) belongs to host rz, not this host rb`,
    );
    const record = await a.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(record.status).toBe("queued");
    expect(await exists(path.join(b.config.dataDir, "releases", "on-z"))).toBe(false);
  });
});
