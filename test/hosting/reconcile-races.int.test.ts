import path from "node:path";
import { jest } from "@jest/globals";
import type { ReleaseHost } from "../../src/hosting/release-host.js";
import { openReleaseHost } from "../../src/hosting/release-host.js";
import { tryEnterProjectLane } from "../../src/store/project-lane.js";
import { defineProgram } from "../../src/supervision/define-program.js";
import { programState } from "../../src/supervision/program-state.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { reconcileStackReleases, runningReleases } from "../helpers/releases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Three deploys of a small app (≈10–20 s each) around reconciles held at chosen points.
jest.setTimeout(180_000);

// The worker reconciles supervisord and Caddy with the record every minute, while deploys of
// the same projects start releases, make them live and stop the ones before. A deploy that goes
// live while a reconcile is under way must keep its release and its route.

let stack: TestStack;
let host: ReleaseHost;

beforeAll(async () => {
  stack = await createTestStack({ RUNTIME_WATCH_SECONDS: "0" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

/** The host, whose supervisord answers its listing of programs only once `gate` resolves. */
function heldAtListing(gate: Promise<void>): ReleaseHost {
  const supervisor = Object.create(host.supervisor) as ReleaseHost["supervisor"];
  supervisor.call = async (method, params) => {
    if (method === "supervisor.getAllProcessInfo") await gate;
    return host.supervisor.call(method, params);
  };
  return { ...host, supervisor };
}

async function deployed(project: string, repoUrl: string): Promise<string> {
  const id = await stack.deploy({ project, repoUrl });
  const record = await stack.waitForEnd(id, 120_000);
  expect([id, record.status]).toEqual([id, "succeeded"]);
  return id;
}

const reconcile = (on: ReleaseHost) => reconcileStackReleases(stack, { host: on });

test("a deploy that goes live while a reconcile reads supervisord keeps its release and its address", async () => {
  const repo = await fixtureRepo("node-http");
  const first = await deployed("racing", repo.dir);
  host = await openReleaseHost(stack.config);
  const { releaseUrl } = await stack.db.deployment.findUniqueOrThrow({ where: { id: first } });

  // The reconcile starts; the next deploy goes live and stops the first release before
  // supervisord answers the reconcile's listing.
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reconciling = reconcile(heldAtListing(gate));
  await repo.commit({ "NOTES.md": "second\n" });
  const second = await deployed("racing", repo.dir);
  open();
  const result = await reconciling;

  expect(result).toMatchObject({ started: [], removed: [] });
  expect(await runningReleases(stack.db, "racing")).toEqual([second]);
  expect((await programState(host.supervisor, `release-${second}`))?.state).toMatch(
    /STARTING|RUNNING/,
  );
  const live = await stack.db.project.findUniqueOrThrow({ where: { slug: "racing" } });
  expect(live.liveDeploymentId).toBe(second);
  expect((await fetchApp(releaseUrl!)).status).toBe(200);
});

test("a project whose lane a deploy holds is left alone, and reconciled once it is free", async () => {
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "racing" } });
  // A release started by a deploy that has not gone live yet: a program of the project's that
  // is not its live one.
  const pending = await stack.db.deployment.findFirstOrThrow({
    where: { projectId: project.id, id: { not: project.liveDeploymentId! } },
  });
  const name = `release-${pending.id}`;
  await defineProgram(host.supervisor, host.supervisorDir, {
    name,
    command: { file: "/bin/sleep", args: ["600"], cwd: "/", env: {} },
    logFile: path.join(stack.config.dataDir, "pending.log"),
    logMaxBytes: 0,
    logBackups: 0,
    startSecs: 1,
    startRetries: 0,
    stopWaitSecs: 1,
  });

  const lane = await tryEnterProjectLane(stack.config.databaseUrl, project.id);
  expect(lane).not.toBeNull();
  try {
    const busy = await reconcile(host);
    expect(busy).toMatchObject({ busy: ["racing"], removed: [] });
    expect((await programState(host.supervisor, name))?.state).toMatch(/STARTING|RUNNING/);
  } finally {
    await lane!.release();
  }
  const free = await reconcile(host);
  expect(free).toMatchObject({ busy: [], removed: [pending.id], started: [] });
  expect(await programState(host.supervisor, name)).toBeNull();
  expect(await runningReleases(stack.db, "racing")).toEqual([project.liveDeploymentId]);
});
