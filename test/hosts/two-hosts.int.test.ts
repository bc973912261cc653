import { existsSync } from "node:fs";
import path from "node:path";
import { jest } from "@jest/globals";
import type { FastifyInstance } from "fastify";
import { deploymentWait } from "../../src/cli/deployment-wait.js";
import { cancelDeployment } from "../../src/deploys/cancel-deployment.js";
import { githubSignature } from "../../src/http/webhook/github-signature.js";
import { startHostHeartbeat } from "../../src/main/host-heartbeat.js";
import { startDeployWorker } from "../../src/main/start-deploy-worker.js";
import { projectDatabaseName } from "../../src/provisioning/names.js";
import { ensureProjectDatabase } from "../../src/provisioning/provision-project.js";
import { connectRedis } from "../../src/queue/redis.js";
import { getHost, placeProject } from "../../src/store/hosts.js";
import { addProject } from "../../src/store/projects.js";
import { onServer, queryAt } from "../helpers/databases.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// Two hosts of one installation on this machine (issue 24): h1 on the tests' cluster with a
// PgBouncer of its own, h2 on a second cluster made with pg_createcluster (one per test file)
// with its PgBouncer; each its own DATA_DIR, router port and worker, sharing the worker
// database, Redis and queue prefix. Real deploys: allow minutes on a loaded machine.
jest.setTimeout(300_000);

const DOWN_AFTER_SECONDS = "10";
let h1: TestStack;
let h2: SecondHost;
/** A repository per project: a push must name exactly one project. */
let repo1: GitRepo;
let repo: GitRepo;

/** A host's worker as `coduck-worker start` runs it: its heartbeat and its deploy worker. */
type HostWorker = { stop(): Promise<void> };
async function startHostWorker(stack: TestStack): Promise<HostWorker> {
  const redis = connectRedis(stack.config.redis);
  const heartbeat = await startHostHeartbeat(stack.db, stack.config, stack.logger);
  const running = startDeployWorker(
    { db: stack.db, logger: stack.logger, config: stack.config, keyring: stack.keyring },
    redis,
    { concurrency: stack.config.concurrency, prefix: stack.config.queuePrefix },
  );
  await running.worker.waitUntilReady();
  return {
    async stop() {
      heartbeat.stop();
      await running.worker.close();
      await redis.quit();
    },
  };
}
let worker1: HostWorker | null = null;
let worker2: HostWorker | null = null;

beforeAll(async () => {
  h1 = await createTestStack(
    { HOST_ID: "h1", HOST_DOWN_AFTER_SECONDS: DOWN_AFTER_SECONDS },
    { pgbouncer: {} },
  );
  h2 = await createSecondHost(h1, {
    hostId: "h2",
    overrides: { HOST_DOWN_AFTER_SECONDS: DOWN_AFTER_SECONDS },
  });
  repo1 = await fixtureRepo("node-http");
  repo = await fixtureRepo("node-http");
}, 180_000);
afterAll(async () => {
  await worker2?.stop();
  await worker1?.stop();
  await h2?.close();
  await h1?.close();
}, 180_000);

async function mainClusterDatabases(): Promise<string[]> {
  return onServer(async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database")).rows.map(
      (r) => r.datname,
    ),
  );
}

/** A project registered and placed on `hostId`, as `projects add --host` does. */
async function addPlaced(slug: string, hostId: string, repoUrl: string) {
  const added = await addProject(h1.db, h1.keyring, { slug, repoUrl, branch: "main" });
  expect(await placeProject(h1.db, slug, hostId)).toBe(hostId);
  return added;
}

const hostOfDeployment = async (id: string) =>
  (await h1.db.deployment.findUniqueOrThrow({ where: { id }, select: { hostId: true } })).hostId;

describe("two hosts on one machine", () => {
  it("each host provisions on its own cluster, reached through its own PgBouncer", async () => {
    const deps = (stack: TestStack) => ({
      db: stack.db,
      config: stack.config,
      keyring: stack.keyring,
    });
    const alpha = await ensureProjectDatabase(deps(h1), "alpha");
    const beta = await ensureProjectDatabase(deps(h2), "beta");
    const prefix = h1.config.projectDatabasePrefix;
    expect(h2.config.projectDatabasePrefix).toBe(prefix);
    expect([alpha.database, beta.database]).toEqual([
      projectDatabaseName(prefix, "alpha"),
      projectDatabaseName(prefix, "beta"),
    ]);

    const onMain = await mainClusterDatabases();
    const onSecond = await h2.cluster.databases();
    expect(onMain).toContain(alpha.database);
    expect(onMain).not.toContain(beta.database);
    expect(onSecond).toContain(beta.database);
    expect(onSecond).not.toContain(alpha.database);

    // The apps' URLs point at each host's own PgBouncer and cluster, and work there.
    expect(new URL(beta.databaseUrl).port).toBe(String(h2.bouncer.port));
    expect(new URL(beta.directUrl).port).toBe(String(h2.cluster.port));
    expect(new URL(alpha.databaseUrl).port).toBe(String(h1.bouncer!.port));
    for (const project of [alpha, beta])
      for (const url of [project.databaseUrl, project.directUrl])
        expect(await queryAt(url, "SELECT current_database() AS db")).toEqual([
          { db: project.database },
        ]);
  });

  it("a push received by either host's HTTP server is queued on the project's host", async () => {
    // No worker runs yet: the jobs stay where the webhook put them.
    const hookA = await addPlaced("hook-a", "h1", "https://github.com/acme/hook-a");
    const hookB = await addPlaced("hook-b", "h2", "https://github.com/acme/hook-b");
    const apps: FastifyInstance[] = [await buildTestApp(h1), await buildTestApp(h2)];
    try {
      const push = async (app: FastifyInstance, repoName: string, secret: string) => {
        const body = JSON.stringify({
          ref: "refs/heads/main",
          before: "0".repeat(40),
          after: "1".repeat(40),
          repository: {
            full_name: `acme/${repoName}`,
            clone_url: `https://github.com/acme/${repoName}.git`,
            html_url: `https://github.com/acme/${repoName}`,
          },
        });
        const response = await app.inject({
          method: "POST",
          url: "/webhooks/github",
          headers: {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-github-delivery": `${repoName}-${Date.now()}`,
            "x-hub-signature-256": githubSignature(secret, body),
          },
          payload: body,
        });
        expect(response.statusCode).toBe(201);
        return (response.json() as { deploymentId: string }).deploymentId;
      };
      // Each host's server receives the push of the project that lives on the other.
      const toB = await push(apps[0]!, "hook-b", hookB.webhookSecret);
      const toA = await push(apps[1]!, "hook-a", hookA.webhookSecret);
      expect(await hostOfDeployment(toB)).toBe("h2");
      expect(await hostOfDeployment(toA)).toBe("h1");
      expect(await h1.queues.deploy("h2").getJobState(toB)).toBe("waiting");
      expect(await h1.queues.deploy("h1").getJobState(toB)).toBe("unknown");
      expect(await h1.queues.deploy("h1").getJobState(toA)).toBe("waiting");
      expect(await h1.queues.deploy("h2").getJobState(toA)).toBe("unknown");
      // Never deployed (their repositories are not reachable from here).
      for (const deploymentId of [toA, toB])
        await cancelDeployment({ db: h1.db, queues: h1.queues }, { deploymentId });
    } finally {
      for (const app of apps) await app.close();
    }
  });

  it("deploys each project on its host: its cluster, its DATA_DIR", async () => {
    worker1 = await startHostWorker(h1);
    worker2 = await startHostWorker(h2);
    await addPlaced("on-h1", "h1", repo1.dir);
    await addPlaced("on-h2", "h2", repo.dir);
    // Both queued from h1 (any machine may): each runs on its project's host.
    const [one, two] = [
      await h1.deploy({ project: "on-h1", repoUrl: repo1.dir }),
      await h1.deploy({ project: "on-h2", repoUrl: repo.dir }),
    ];
    const [first, second] = [await h1.waitForEnd(one, 240_000), await h1.waitForEnd(two, 240_000)];
    expect([first.status, second.status]).toEqual(["succeeded", "succeeded"]);
    expect([await hostOfDeployment(one), await hostOfDeployment(two)]).toEqual(["h1", "h2"]);

    const prefix = h1.config.projectDatabasePrefix;
    const [db1, db2] = [projectDatabaseName(prefix, "on-h1"), projectDatabaseName(prefix, "on-h2")];
    const [onMain, onSecond] = [await mainClusterDatabases(), await h2.cluster.databases()];
    expect([onMain.includes(db1), onSecond.includes(db1)]).toEqual([true, false]);
    expect([onMain.includes(db2), onSecond.includes(db2)]).toEqual([false, true]);

    const dirs = await h1.db.deployment.findMany({
      where: { id: { in: [one, two] } },
      select: { id: true, releaseDir: true },
    });
    const dirOf = (id: string) => dirs.find((d) => d.id === id)!.releaseDir!;
    expect(dirOf(one).startsWith(`${h1.config.dataDir}${path.sep}`)).toBe(true);
    expect(dirOf(two).startsWith(`${h2.config.dataDir}${path.sep}`)).toBe(true);
    expect(existsSync(path.join(h1.config.dataDir, "releases", "on-h2"))).toBe(false);
    expect(existsSync(path.join(h2.config.dataDir, "releases", "on-h1"))).toBe(false);
  });

  it("a host that is down keeps its projects' deploys waiting; the other host's run; back, they run", async () => {
    await worker2!.stop();
    worker2 = null;
    const down = await waitFor(
      "h2 to be reported down",
      async () => {
        const host = await getHost(h1.db, "h2", h1.config.host.downAfterMs);
        return host?.state === "down" ? host : undefined;
      },
      60_000,
    );
    expect(down.downSince).not.toBeNull();

    // `deploy --wait` from any machine (h1's settings): it says what it waits for.
    const head = await repo.commit({ "while-down.txt": "1" }, "while h2 is down");
    const waiting = cli(
      ["deploy", "--project", "on-h2", "--repo", repo.dir, "--ref", "main", "--wait"],
      h1.env,
    );
    let printed = "";
    waiting.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    waiting.stderr?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    await waitFor("deploy --wait to say it waits for h2", () =>
      /waiting for host h2, down since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/.test(printed),
    ).catch((error: Error) => {
      throw new Error(`${error.message}; it printed:\n${printed}`);
    });
    const queued = await h1.db.deployment.findFirstOrThrow({
      where: { project: { slug: "on-h2" }, status: "queued" },
      orderBy: { queuedAt: "desc" },
    });
    expect(queued.hostId).toBe("h2");
    expect(
      await deploymentWait(
        { db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs },
        { id: queued.id, project: "on-h2" },
      ),
    ).toMatch(/^waiting for host h2, down since .* UTC: on-h2's jobs run only there/);

    // h1's projects are unaffected meanwhile.
    const other = await h1.deploy({ project: "on-h1", repoUrl: repo1.dir });
    expect((await h1.waitForEnd(other, 240_000)).status).toBe("succeeded");
    expect((await h1.db.deployment.findUniqueOrThrow({ where: { id: queued.id } })).status).toBe(
      "queued",
    );
    expect(await h1.queues.deploy("h2").getJobState(queued.id)).toBe("waiting");

    // h2 comes back: its deploy runs there, and `deploy --wait` ends with it.
    worker2 = await startHostWorker(h2);
    const ended = await h1.waitForEnd(queued.id, 240_000);
    expect({
      status: ended.status,
      commit: ended.commitSha,
      host: await hostOfDeployment(queued.id),
    }).toEqual({ status: "succeeded", commit: head, host: "h2" });
    const result = await waiting;
    expect(result.exitCode).toBe(0);
    expect(ended.steps.find((s) => s.name === "start")?.status).toBe("succeeded");
  });
});
