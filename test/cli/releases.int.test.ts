import { jest } from "@jest/globals";
import { openReleaseHost } from "../../src/hosting/release-host.js";
import { releaseSecrets } from "../../src/hosting/release-secrets.js";
import { type ReleaseWatch, watchReleases } from "../../src/hosting/watch-releases.js";
import { isRunning } from "../../src/releases/process-group.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// One real deploy (up to 120 s), then restarts and a stop through real supervisord and Caddy.
jest.setTimeout(240_000);
const DEPLOY_WAIT = 120_000;

let stack: TestStack;
let watch: ReleaseWatch;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
  // The supervision watch, as the worker runs it but looking often: it must not take an
  // operator's restart for a crash.
  watch = watchReleases(
    {
      db: stack.db,
      logger: stack.logger,
      host: () => openReleaseHost(stack.config),
      secretsOf: (project) =>
        releaseSecrets({ db: stack.db, config: stack.config, keyring: stack.keyring }, project),
    },
    { intervalMs: 50 },
  );
});
afterAll(async () => {
  await watch?.stop();
  await stack?.close();
});

type Listed = {
  memory: string;
  releases: Array<{
    project: string;
    deploymentId: string;
    url: string;
    upstream: string;
    state: string;
    pid: number | null;
    uptimeSeconds: number | null;
    restarts: number;
    memoryBytes: number | null;
  }>;
};

async function list(...args: string[]): Promise<Listed> {
  const run = await cli(["releases", "list", "--json", ...args], stack.env);
  expect(run.stderr).toBe("");
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout as string) as Listed;
}

/** The app's answer through its stable address, once it answers 200 (it may still be binding). */
async function answerOf(url: string): Promise<string> {
  return waitFor(
    `${url} to answer 200`,
    async () => {
      const response = await fetchApp(url).catch(() => null);
      return response?.status === 200 ? response.text() : undefined;
    },
    30_000,
  );
}

/**
 * A fresh deploy of the node-http fixture as `project`, once supervisord says RUNNING (it says
 * STARTING until the process has run RELEASE_START_SECONDS): each test has a project of its own.
 */
async function deployRunning(project: string) {
  const repo = await fixtureRepo("node-http");
  const deployed = await stack.waitForEnd(
    await stack.deploy({ project, repoUrl: repo.dir }),
    DEPLOY_WAIT,
  );
  expect(deployed.status).toBe("succeeded");
  const listed = await waitFor(`${project}'s release to be RUNNING`, async () => {
    const { releases } = await list("--project", project);
    return releases[0]?.state === "RUNNING" && releases[0];
  });
  return { deployed, url: deployed.release!.url, listed };
}

describe("coduck-worker releases", () => {
  it("lists the live release with its stable URL, state RUNNING, pid and memory", async () => {
    const { deployed, url } = await deployRunning("rel-list");
    expect(url).toMatch(/^http:\/\/rel-list\.[a-z0-9.-]+:\d+$/);

    const { releases, memory } = await list();
    expect(releases.filter((r) => r.project === "rel-list")).toEqual([
      expect.objectContaining({
        project: "rel-list",
        deploymentId: deployed.id,
        url,
        upstream: `127.0.0.1:${deployed.release!.port}`,
        state: "RUNNING",
        pid: deployed.release!.pid,
        restarts: 0,
      }),
    ]);
    const listed = releases.find((r) => r.project === "rel-list")!;
    expect(listed.uptimeSeconds).toBeGreaterThanOrEqual(0);
    // The box's processes (launcher, relay, the app) hold at least a few MiB.
    expect(listed.memoryBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(memory).toContain("VmRSS");

    const table = await cli(["releases", "list", "--project", "rel-list"], stack.env);
    expect(table.exitCode).toBe(0);
    const [header, row] = (table.stdout as string).split("\n");
    expect(header).toMatch(/^PROJECT\s+DEPLOYMENT\s+URL\s+UPSTREAM\s+STATE\s+PID\s+UPTIME/);
    expect(row).toMatch(
      new RegExp(
        `^rel-list\\s+${deployed.id}\\s+${url}\\s+127\\.0\\.0\\.1:\\d+\\s+RUNNING\\s+${deployed.release!.pid}\\s`,
      ),
    );
  });

  it("restart gives a new process, and the app answers again through its stable URL", async () => {
    const { deployed, url, listed: before } = await deployRunning("rel-restart");
    const run = await cli(["releases", "restart", "--project", "rel-restart"], stack.env);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const after = (await list("--project", "rel-restart")).releases[0]!;
    expect(after.state).toBe("RUNNING");
    expect(after.pid).not.toBeNull();
    expect(after.pid).not.toBe(before.pid);
    expect(run.stdout).toBe(
      `restarted rel-restart: release ${deployed.id} runs as pid ${after.pid} (was ${before.pid}), RUNNING`,
    );
    expect(isRunning(before.pid!)).toBe(false);
    // The record follows the new process, and the watch (one more look after the restart) did
    // not count it as a crash.
    await watch.checkNow();
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: deployed.id } });
    expect(row.releasePid).toBe(after.pid);
    expect(row.releaseRestarts).toBe(0);
    expect(row.degradedAt).toBeNull();
    expect(after.restarts).toBe(0);
    expect(JSON.parse(await answerOf(url))).toEqual({ app: "node-http", ok: true });
  });

  it("refuses an unknown project or a bad slug with exit 2, and changes nothing", async () => {
    const { url } = await deployRunning("rel-input");
    const before = (await list()).releases;
    for (const action of ["list", "restart", "stop"]) {
      const unknown = await cli(["releases", action, "--project", "no-such-app"], stack.env);
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toBe("coduck-worker: no project no-such-app");

      const bad = await cli(["releases", action, "--project", "Bad Slug!"], stack.env);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(/^coduck-worker: --project: must be 1 to 63 lowercase letters/);
      expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    // A supervisord that does not answer is named, for restart and stop alike (exit 1).
    const nowhere = { ...stack.env, SUPERVISOR_SOCKET: `${stack.config.dataDir}/no-such.sock` };
    const restart = await cli(["releases", "restart", "--project", "rel-input"], nowhere);
    expect(restart.exitCode).toBe(1);
    expect(restart.stderr).toBe(
      `coduck-worker: supervisord unreachable at ${nowhere.SUPERVISOR_SOCKET} (ENOENT): is it running?`,
    );
    const listed = await cli(["releases", "list", "--project", "rel-input", "--json"], nowhere);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout as string).releases[0].state).toBe("unknown");
    const after = (await list()).releases;
    expect(after.map((r) => [r.deploymentId, r.pid, r.state])).toEqual(
      before.map((r) => [r.deploymentId, r.pid, r.state]),
    );
    expect((await fetchApp(url)).status).toBe(200);
  });

  it("stop takes the project off the air: its URL answers 404 and nothing is live", async () => {
    const { deployed, url, listed } = await deployRunning("rel-stop");
    const run = await cli(["releases", "stop", "--project", "rel-stop"], stack.env);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      `stopped rel-stop: release ${deployed.id} stopped, route removed; ${url} answers 404 until the next deploy`,
    );
    expect((await fetchApp(url)).status).toBe(404);
    expect(isRunning(listed.pid!)).toBe(false);
    expect((await list()).releases.filter((r) => r.project === "rel-stop")).toEqual([]);
    const table = await cli(["releases", "list", "--project", "rel-stop"], stack.env);
    expect(table.stdout).toBe("nothing live for rel-stop");
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "rel-stop" } });
    expect(project.liveDeploymentId).toBeNull();
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: deployed.id } });
    expect(row.releaseStoppedAt).not.toBeNull();

    // With nothing live, restart and stop say so (exit 2).
    for (const action of ["restart", "stop"]) {
      const again = await cli(["releases", action, "--project", "rel-stop"], stack.env);
      expect(again.exitCode).toBe(2);
      expect(again.stderr).toBe("coduck-worker: nothing is live for rel-stop: deploy it first");
    }
  });
});
