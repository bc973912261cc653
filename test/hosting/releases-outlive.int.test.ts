import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { processInfo } from "../../src/exec/process-identity.js";
import { caddyClient } from "../../src/router/caddy-client.js";
import { caddyFiles } from "../../src/router/caddy-files.js";
import { removeRoute } from "../../src/router/remove-route.js";
import { defineProgram } from "../../src/supervision/define-program.js";
import { programState } from "../../src/supervision/program-state.js";
import { removeProgram } from "../../src/supervision/remove-program.js";
import { SupervisorClient } from "../../src/supervision/supervisor-client.js";
import { supervisorPaths } from "../../src/supervision/supervisor-paths.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// Two deploys (≈20 s each), a worker killed and started again twice, the release brought back.
jest.setTimeout(240_000);

// A release belongs to its supervisor, not to the worker that started it: it keeps serving at
// its stable address while the worker is dead, and a worker that starts makes supervisord and
// Caddy match the record again — after a kill -9 of the worker, and after supervisord, Caddy and
// the release itself were all killed (what a reboot leaves).

let stack: TestStack;
let workers: WorkerProcess[] = [];

const TOKEN = "releases-outlive-admin-token-0123";

beforeAll(async () => {
  stack = await createTestStack({ ADMIN_TOKEN: TOKEN });
});
afterEach(async () => {
  for (const worker of workers) {
    worker.child.kill("SIGKILL");
    await worker.child;
  }
  workers = [];
});
afterAll(async () => {
  await stack?.close();
});

async function startWorker(): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({ ...stack.env, RUNTIME_WATCH_SECONDS: "0" });
  workers.push(worker);
  return worker;
}

async function killWorker(worker: WorkerProcess): Promise<void> {
  worker.child.kill("SIGKILL");
  await worker.child;
  workers = workers.filter((w) => w !== worker);
}

/** Deploys the node-http fixture as `project` through a worker process; resolves with its URL. */
async function deployed(project: string): Promise<{ id: string; url: string }> {
  const id = await stack.deploy({ project, repoUrl: (await fixtureRepo("node-http")).dir });
  const record = await stack.waitForEnd(id, 120_000);
  expect(record.status).toBe("succeeded");
  return { id, url: record.release!.url };
}

const answers = async (url: string) => {
  try {
    return (await fetchApp(url, { timeoutMs: 2_000 })).status === 200;
  } catch {
    return false;
  }
};

describe("releases outlive the worker", () => {
  it("keep serving through a kill -9 of the worker; a new worker puts back a lost route and a lost program, and removes a stray program", async () => {
    const first = await startWorker();
    const { id, url } = await deployed("steady");
    expect(url).toMatch(/^http:\/\/steady\.localhost:\d+$/);
    expect(await answers(url)).toBe(true);

    // The dashboard shows the live release: its address, its upstream, what supervisord did.
    const app = await buildTestApp(stack);
    try {
      const page = await app.inject({
        method: "GET",
        url: `/admin/deployments/${id}`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(`<a href="${url}">${url}</a>`);
      expect(page.body).toMatch(/→ <code>127\.0\.0\.1:\d+<\/code>/);
      expect(page.body).toContain("no restarts");
      expect(page.body).toMatch(/, \d+ MiB resident\)/);
    } finally {
      await app.close();
    }

    await killWorker(first);
    expect(await answers(url)).toBe(true);

    // Drift while no worker ran: the route is gone, so the address answers 404.
    const router = caddyClient(
      `unix/${caddyFiles(path.join(stack.config.dataDir, "caddy")).socket}`,
    );
    await removeRoute(router, "steady");
    expect((await fetchApp(url)).status).toBe(404);

    // And a stray: a release program whose deployment the record does not know.
    const supervisorDir = path.join(stack.config.dataDir, "supervisor");
    const supervisor = new SupervisorClient(supervisorPaths(supervisorDir).socket);
    const stray = `release-${randomUUID()}`;
    await defineProgram(supervisor, supervisorDir, {
      name: stray,
      command: { file: "/bin/sleep", args: ["600"], cwd: "/", env: {} },
      logFile: path.join(stack.config.dataDir, "stray.log"),
      logMaxBytes: 0,
      logBackups: 0,
      startSecs: 1,
      startRetries: 0,
      stopWaitSecs: 1,
    });
    expect((await programState(supervisor, stray))?.state).toMatch(/STARTING|RUNNING/);
    // And the live release's own program lost (its definition gone from supervisord's directory).
    await removeProgram(supervisor, supervisorDir, `release-${id}`);
    await waitFor("the address to stop answering", async () => !(await answers(url)), 30_000);

    await startWorker();
    await waitFor("the route and the program to be put back", () => answers(url), 60_000);
    await waitFor(
      "the stray program to be removed",
      async () => (await programState(supervisor, stray)) === null,
      30_000,
    );
    expect((await programState(supervisor, `release-${id}`))?.state).toMatch(/STARTING|RUNNING/);
  });

  it("come back, routed, when a worker starts after supervisord, Caddy and the release were all killed (a reboot)", async () => {
    const first = await startWorker();
    const { id, url } = await deployed("rebooted");
    await killWorker(first);

    const supervisorDir = path.join(stack.config.dataDir, "supervisor");
    const caddyDir = path.join(stack.config.dataDir, "caddy");
    const before = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
    const supervisord = Number(await readFile(supervisorPaths(supervisorDir).pidfile, "utf8"));
    const caddy = Number(await readFile(caddyFiles(caddyDir).pid, "utf8"));
    // The first test's release is left running: what a supervisord killed alone leaves behind.
    const orphan = await stack.db.deployment.findFirstOrThrow({
      where: { liveFor: { slug: "steady" } },
    });
    const orphanUrl = orphan.releaseUrl!;
    process.kill(supervisord, "SIGKILL");
    process.kill(caddy, "SIGKILL");
    process.kill(-before.releasePid!, "SIGKILL");
    await waitFor("the address to stop answering", async () => !(await answers(url)), 30_000);

    await startWorker();
    await waitFor("the release to serve at its address again", () => answers(url), 60_000);
    const supervisor = new SupervisorClient(supervisorPaths(supervisorDir).socket);
    const program = await waitFor("the program to count as started", async () => {
      const state = await programState(supervisor, before.releaseProgram!);
      return state?.state === "RUNNING" ? state : undefined;
    });
    // The new process is on record, so nothing counts it as a crash or stops a stranger later.
    const after = await waitFor("the new process on record", async () => {
      const row = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
      return row.releasePid === program?.pid ? row : undefined;
    });
    expect(after.releasePid).not.toBe(before.releasePid);
    expect(after.releaseRestarts).toBe(0);

    // The orphan is stopped, and its release runs again under the new supervisord: one process.
    const adopted = await waitFor("the orphaned release replaced", async () => {
      const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: orphan.id } });
      return row.releasePid !== orphan.releasePid ? row : undefined;
    });
    expect(processInfo(orphan.releasePid!)).toBeNull();
    expect(processInfo(adopted.releasePid!)?.ppid).toBe(
      Number(await supervisor.call("supervisor.getPID")),
    );
    await waitFor("the orphan's project to answer again", () => answers(orphanUrl), 30_000);
  });
});
