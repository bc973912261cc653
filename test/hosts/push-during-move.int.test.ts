import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { deploymentWait } from "../../src/cli/deployment-wait.js";
import { pruneReleases } from "../../src/housekeeping/prune-releases.js";
import { startHostHeartbeat } from "../../src/main/host-heartbeat.js";
import { requestMove } from "../../src/moves/request-move.js";
import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { enqueueDeploy } from "../../src/queue/deploy-job.js";
import { createDeployment } from "../../src/store/deployments.js";
import { latestProjectMove } from "../../src/store/project-moves.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { reconcileStackReleases } from "../helpers/releases.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// A push while its project moves between two hosts (issue 24): h1 on the tests' cluster, h2 on
// a cluster of its own. The move is held at its restore stage (h2 is up, by its heartbeat, but
// no worker takes h2's queue yet); the push queued meanwhile waits on h1, queued, and says why.
// A move that fails leaves the push to deploy on h1; once a move has switched and ended, the
// push is forwarded to h2 and deploys the pushed commit there, last: the live release on h2
// serves it. Then prune-releases on each host's DATA_DIR, and a deployment left recorded for h1.
// Real deploys and real moves: allow minutes on a loaded machine.
jest.setTimeout(600_000);

const SLUG = "pushed";
let h1: TestStack;
let h2: SecondHost;
let repo: GitRepo;

/** The app, answering with the version its commit carries. */
const serverAt = (version: string) => `import { createServer } from "node:http";
createServer((_request, response) => {
  response.end(JSON.stringify({ app: "node-http", version: ${JSON.stringify(version)} }));
}).listen(Number(process.env.PORT));
`;

beforeAll(async () => {
  h1 = await createTestStack({ HOST_ID: "h1" }, { pgbouncer: {} });
  h2 = await createSecondHost(h1, { hostId: "h2" });
  await h1.startWorker();
  repo = await fixtureRepo("node-http", { "src/index.js": serverAt("v1") });
}, 180_000);
afterAll(async () => {
  await h2?.close();
  await h1?.close();
}, 180_000);

const appsPort = (stack: TestStack) => stack.config.releases.appsHttpPort;
/** The app's answer through `stack`'s router, at the project's one address. */
async function versionVia(stack: TestStack): Promise<unknown> {
  const response = await fetchApp(`http://${SLUG}.localhost:${appsPort(stack)}/`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { version?: string }).version;
}
async function latestMove() {
  const project = await h1.db.project.findUniqueOrThrow({ where: { slug: SLUG } });
  return latestProjectMove(h1.db, project.id);
}
const moveDeps = () => ({ db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs });
/** Requests the move to h2 and waits until it is held at its restore (no worker on h2). */
async function moveHeldAtRestore() {
  await requestMove(moveDeps(), { project: SLUG, to: "h2", confirm: SLUG, requestedBy: "test" });
  return waitFor(
    "the move to reach its restore stage",
    async () => {
      const move = await latestMove();
      if (move?.status === "failed") throw new Error(`move failed: ${move.error}`);
      return move?.stage === "restore" ? move : undefined;
    },
    240_000,
  );
}
const WAIT_NOTE = "queued during the move of pushed to h2: it waited for the move to end";
const FORWARD_NOTE = "queued on h1, forwarded to h2: the project lives there now";
const FROZEN_NOTE =
  "held after a failed move of pushed: waiting for the source database of pushed to be made writable again";
/** A deployment's job on h1, taken by h1's worker and put back: it looks again every 2 s. */
async function waitsOnH1(id: string): Promise<void> {
  await waitFor(
    "the push's job to wait on h1, delayed",
    async () => (await h1.queues.deploy("h1").getJobState(id)) === "delayed",
    30_000,
  );
  await waitFor("the record to say why it waits", async () =>
    (await h1.db.deployment.findUniqueOrThrow({ where: { id } })).warnings.includes(WAIT_NOTE),
  );
}
const releaseDirs = async (stack: TestStack) =>
  (await readdir(path.join(stack.config.dataDir, "releases", SLUG)).catch(() => []))
    .filter((name) => !name.includes(".log"))
    .sort();

let first: string;
let afterFailure: string;
let pushed: string;
let moveDeploymentId: string;

describe("a push during a move", () => {
  it("deploys v1 on h1", async () => {
    first = await h1.deploy({ project: SLUG, repoUrl: repo.dir });
    const ended = await h1.waitForEnd(first, 240_000);
    expect({ status: ended.status, errorCode: ended.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    expect(await versionVia(h1)).toBe("v1");
  });

  it("waits while a move runs; the move fails, and the push deploys on h1, where the project stays", async () => {
    // h2 is up (its heartbeat), but no worker takes its queue: the move stops at its restore.
    const heartbeat = await startHostHeartbeat(h2.db, h2.config, h2.logger);
    try {
      await moveHeldAtRestore();
      const commit = await repo.commit({ "src/index.js": serverAt("v2") }, "pushed, move fails");
      afterFailure = await h1.deploy({ project: SLUG, repoUrl: repo.dir });
      await waitsOnH1(afterFailure);
      // h2's worker with a backup store of its own: it cannot read h1's backup, the move fails.
      const unshared = await h2.startWorker();
      const ended = await h1.waitForEnd(afterFailure, 240_000);
      await unshared.worker.close();
      const move = await latestMove();
      expect({ status: move?.status, stage: move?.stage }).toEqual({
        status: "failed",
        stage: "restore",
      });
      const record = await h1.db.deployment.findUniqueOrThrow({ where: { id: afterFailure } });
      expect({
        status: ended.status,
        commit: ended.commitSha,
        host: record.hostId,
        // It may have waited for the source's unfreeze too (push-after-failed-move.int.test.ts).
        warnings: record.warnings.filter((warning) => warning !== FROZEN_NOTE),
      }).toEqual({ status: "succeeded", commit, host: "h1", warnings: [WAIT_NOTE] });
      expect(record.startedAt!.getTime()).toBeGreaterThan(move!.finishedAt!.getTime());
      // Never before the source took writes again.
      expect(record.startedAt!.getTime()).toBeGreaterThanOrEqual(move!.sourceUnfrozenAt!.getTime());
      expect(await versionVia(h1)).toBe("v2");
    } finally {
      heartbeat.stop();
    }
  });

  it("waits, queued on h1, while the move runs; then deploys the pushed commit on h2, after the switch", async () => {
    const heartbeat = await startHostHeartbeat(h2.db, h2.config, h2.logger);
    try {
      await moveHeldAtRestore();

      // The push, with `deploy --wait` from any machine (h1's settings): it says what it waits for.
      const commit = await repo.commit({ "src/index.js": serverAt("v3") }, "pushed, move ends");
      const waiting = cli(
        ["deploy", "--project", SLUG, "--repo", repo.dir, "--ref", "main", "--wait"],
        h1.env,
      );
      let printed = "";
      const collect = (chunk: Buffer) => {
        printed += chunk.toString();
      };
      waiting.stdout?.on("data", collect);
      waiting.stderr?.on("data", collect);
      await waitFor(
        "deploy --wait to say it waits for the move",
        () => /waiting for the move of pushed to h2 to end/.test(printed),
        120_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${printed}`);
      });
      const queued = await h1.db.deployment.findFirstOrThrow({
        where: { project: { slug: SLUG }, trigger: "cli" },
        orderBy: { queuedAt: "desc" },
      });
      pushed = queued.id;
      expect({ status: queued.status, host: queued.hostId }).toEqual({
        status: "queued",
        host: "h1",
      });
      await waitsOnH1(pushed);
      expect(
        await deploymentWait(
          { db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs },
          { id: pushed, project: SLUG },
        ),
      ).toMatch(
        /^waiting for the move of pushed to h2 to end \(move [0-9a-f-]{36}\): it then deploys where pushed lives$/,
      );
      // Held a while longer: it still waits, and nothing of it ran on h1.
      await sleep(5_000);
      expect((await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } })).status).toBe(
        "queued",
      );
      expect(await releaseDirs(h1)).toEqual([`${first}-1`, `${afterFailure}-1`].sort());

      // h2's worker starts (sharing h1's backup store): the move runs to its end, then the push.
      await h2.startWorker({ BACKUP_DIR: h1.config.backups.dir });
      const ended = await h1.waitForEnd(pushed, 480_000);
      const move = await latestMove();
      expect({ status: move?.status, error: move?.error }).toEqual({
        status: "moved",
        error: null,
      });
      moveDeploymentId = move!.deploymentId!;
      const record = await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } });
      expect({
        status: ended.status,
        errorCode: ended.errorCode,
        commit: ended.commitSha,
        host: record.hostId,
        warnings: record.warnings,
      }).toEqual({
        status: "succeeded",
        errorCode: null,
        commit,
        host: "h2",
        warnings: [WAIT_NOTE, FORWARD_NOTE],
      });
      // It ran after the move had ended (so after its switch), on h2, and last.
      expect(record.startedAt!.getTime()).toBeGreaterThan(move!.finishedAt!.getTime());
      expect(existsSync(path.join(h2.config.dataDir, "releases", SLUG, `${pushed}-1`))).toBe(true);
      expect(await releaseDirs(h1)).toEqual([`${first}-1`, `${afterFailure}-1`].sort());
      // Its job on h1 completed quietly; the one on h2 ran it.
      expect(await h1.queues.deploy("h1").getJobState(pushed)).toBe("completed");
      expect(await h1.queues.deploy("h2").getJobState(pushed)).toBe("completed");

      const project = await h1.db.project.findUniqueOrThrow({
        where: { slug: SLUG },
        select: { hostId: true, liveDeploymentId: true },
      });
      expect(project).toEqual({ hostId: "h2", liveDeploymentId: pushed });
      // The pushed commit serves, through either host's router.
      expect(await versionVia(h2)).toBe("v3");
      expect(await versionVia(h1)).toBe("v3");

      const result = await waiting;
      expect({ exitCode: result.exitCode, printed }).toEqual({
        exitCode: 0,
        printed: expect.stringMatching(/waiting for the move of pushed to h2 to end/),
      });
    } finally {
      heartbeat.stop();
    }
  });

  it("prune-releases on the source removes the moved project's releases once nothing runs them", async () => {
    // Before h1's release reconcile, the old live release still runs on h1 (never recorded
    // stopped): it stays, and nothing else of the project is kept there (not even the newest).
    // The operator's dry run says so.
    const dry = await cli(["housekeeping", "run", "--dry-run", "--only", "prune-releases"], h1.env);
    expect({ exitCode: dry.exitCode, stdout: dry.stdout }).toEqual({
      exitCode: 0,
      stdout: `prune-releases: would remove 1 release directories, kept 1 (newest ${h1.config.housekeeping.keepReleases} per project; 1 more live, deploying or still running) in 1 projects, 1 of them moved to another host\n  ${path.join("releases", SLUG, `${first}-1`)}`,
    });
    const before = await pruneReleases(h1.db, h1.config.dataDir, 1);
    expect(before).toMatchObject({ movedAway: 1, removed: 1, kept: 1, protected: 1 });
    expect(await releaseDirs(h1)).toEqual([`${afterFailure}-1`]);

    // h1's reconcile (every minute in a worker) stops it, without recording it stopped.
    const reconciled = await reconcileStackReleases(h1);
    expect(reconciled.removed).toEqual([afterFailure]);
    const after = await pruneReleases(h1.db, h1.config.dataDir, 1);
    expect(after).toMatchObject({ movedAway: 1, removed: 1, kept: 0, protected: 0 });
    expect(after.removedPaths).toEqual([path.join("releases", SLUG, `${afterFailure}-1`)]);
    expect(await releaseDirs(h1)).toEqual([]);
    // The target's releases are another disk's: untouched, and the project serves on.
    expect(await releaseDirs(h2)).toEqual([`${moveDeploymentId}-1`, `${pushed}-1`].sort());
    expect(await versionVia(h2)).toBe("v3");
  });

  it("prune-releases on the target counts its newest by when each was built: the push, not the move's", async () => {
    // The move's deployment was queued after the push, but built before it: the push is the
    // newest release there (and live); the move's, stopped when the push went live, goes.
    const moveDeployment = await h1.db.deployment.findUniqueOrThrow({
      where: { id: moveDeploymentId },
    });
    const push = await h1.db.deployment.findUniqueOrThrow({ where: { id: pushed } });
    expect(moveDeployment.queuedAt.getTime()).toBeGreaterThan(push.queuedAt.getTime());
    expect(moveDeployment.releaseStoppedAt).not.toBeNull();
    const pruned = await pruneReleases(h2.db, h2.config.dataDir, 1);
    expect(pruned).toMatchObject({ movedAway: 0, kept: 1, protected: 0, removed: 1 });
    expect(await releaseDirs(h2)).toEqual([`${pushed}-1`]);
    expect(await versionVia(h2)).toBe("v3");
    expect(await versionVia(h1)).toBe("v3");
  });

  it("a deployment still recorded for the host its project left is forwarded when that host's worker takes it", async () => {
    // As one queued on h1 while its worker was away during the move: it waited there.
    const commit = await repo.commit({ "src/index.js": serverAt("v4") }, "queued on the old host");
    const { id } = await createDeployment(h1.db, {
      project: SLUG,
      repoUrl: repo.dir,
      // A push names its commit.
      ref: commit,
      trigger: "webhook",
      steps: DEPLOY_STEP_NAMES,
      hostId: "h1",
    });
    await enqueueDeploy(h1.queues, "h1", id);
    const ended = await h1.waitForEnd(id, 240_000);
    const record = await h1.db.deployment.findUniqueOrThrow({ where: { id } });
    expect({
      status: ended.status,
      errorCode: ended.errorCode,
      hint: ended.hint,
      steps: ended.steps.filter((step) => step.status === "failed"),
      commit: ended.commitSha,
      host: record.hostId,
      warnings: record.warnings,
    }).toEqual({
      status: "succeeded",
      errorCode: null,
      hint: null,
      steps: [],
      commit,
      host: "h2",
      warnings: [FORWARD_NOTE],
    });
    expect(await releaseDirs(h1)).toEqual([]);
    expect(await versionVia(h2)).toBe("v4");
  });
});
