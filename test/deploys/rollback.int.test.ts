import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Setup deploys two versions (120 s each); each test deploys or rolls back once more.
jest.setTimeout(300_000);

let stack: TestStack;

const server = (version: string) => ({
  "src/index.js": [
    'import { createServer } from "node:http";',
    `createServer((_q, r) => r.end("${version}")).listen(Number(process.env.PORT));`,
  ].join("\n"),
});

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const rollback = (...args: string[]) => cli(["rollback", ...args], stack.env);
const live = async (slug: string) => {
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug } });
  return (await getDeploymentRecord(stack.db, project.liveDeploymentId!))!;
};

/** `project` deployed twice, v1 then v2 (live): its repository and both deployments. */
async function twoVersions(project: string): Promise<{ repo: GitRepo; v1: string; v2: string }> {
  const repo = await fixtureRepo("node-http", server("v1"));
  const v1 = await stack.deploy({ project, repoUrl: repo.dir });
  expect((await stack.waitForEnd(v1, 120_000)).status).toBe("succeeded");
  await repo.commit(server("v2"), "v2");
  const v2 = await stack.deploy({ project, repoUrl: repo.dir });
  expect((await stack.waitForEnd(v2, 120_000)).status).toBe("succeeded");
  return { repo, v1, v2 };
}

describe("coduck-worker rollback", () => {
  it("serves the previous release again from its kept directory, recorded, schema left alone", async () => {
    const { v1, v2 } = await twoVersions("rb");
    const run = await rollback("--project", "rb", "--wait", "--json");
    expect(run.stderr).toContain(`rollback of rb to deployment ${v1}`);
    expect(run.stderr).toContain("from its kept release directory");
    expect(run.stderr).toContain("warning: the database schema is not rolled back");
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ rollbackTo: v1, fromKeptRelease: true, status: "succeeded" });

    const current = await live("rb");
    expect(current.id).toBe(result.deploymentId);
    expect(await (await fetchApp(current.release!.url)).text()).toBe("v1");
    expect(current.trigger).toBe("rollback");
    expect(current.commitSha).toBe((await getDeploymentRecord(stack.db, v1))!.commitSha);
    expect(current.warnings).toContain(result.warning);
    expect(current.steps.map((s) => [s.name, s.status, s.skipReason])).toEqual([
      ["provision", "succeeded", null],
      ["checkout", "skipped", `reused from deployment ${v1} (a copy of its release directory)`],
      ["install", "skipped", `reused from deployment ${v1} (a copy of its release directory)`],
      ["build", "skipped", `reused from deployment ${v1} (a copy of its release directory)`],
      ["schema", "skipped", "not run: a rollback does not roll the database schema back"],
      ["start", "succeeded", null],
    ]);
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: result.deploymentId } });
    expect(row).toMatchObject({ rollbackToId: v1, requestedBy: os.userInfo().username });
    // The release it replaced was stopped, as a deploy's swap does.
    const replaced = await stack.db.deployment.findUniqueOrThrow({ where: { id: v2 } });
    expect(replaced.releaseStoppedAt).not.toBeNull();
  });

  it("deploys the commit again when the kept directory is gone", async () => {
    const { v1 } = await twoVersions("rb-again");
    const target = await stack.db.deployment.findUniqueOrThrow({ where: { id: v1 } });
    await rm(target.releaseDir!, { recursive: true, force: true });
    const run = await rollback("--project", "rb-again", "--to", v1, "--wait", "--json");
    expect(run.stderr).toContain(
      `by deploying its commit again (its release directory ${target.releaseDir} is gone)`,
    );
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ rollbackTo: v1, fromKeptRelease: false, status: "succeeded" });
    const current = await live("rb-again");
    expect(current.id).toBe(result.deploymentId);
    expect(await (await fetchApp(current.release!.url)).text()).toBe("v1");
    expect(current.commitSha).toBe(target.commitSha);
    expect(current.steps.map((s) => [s.name, s.status])).toEqual([
      ["provision", "succeeded"],
      ["checkout", "succeeded"],
      ["install", "succeeded"],
      ["build", "succeeded"],
      ["schema", "skipped"],
      ["start", "succeeded"],
    ]);
  });

  it("refuses a target of another project, one that never succeeded, or nothing to roll back to", async () => {
    const repo = await fixtureRepo("node-http", server("v1"));
    const first = await stack.deploy({ project: "rb-refuse", repoUrl: repo.dir });
    expect((await stack.waitForEnd(first, 120_000)).status).toBe("succeeded");
    const other = await stack.deploy({ project: "rb-other", repoUrl: repo.dir });
    expect((await stack.waitForEnd(other, 120_000)).status).toBe("succeeded");
    const broken = await stack.deploy({
      project: "rb-refuse",
      repoUrl: path.join(repo.dir, "missing"),
    });
    expect((await stack.waitForEnd(broken)).status).toBe("failed");
    const current = await live("rb-refuse");

    const count = await stack.db.deployment.count();
    const cases: Array<[string[], string]> = [
      [
        ["--project", "rb-refuse", "--to", other],
        `coduck-worker: --to: deployment ${other} is of project rb-other, not rb-refuse`,
      ],
      [
        ["--project", "rb-refuse", "--to", broken],
        `coduck-worker: --to: deployment ${broken} never succeeded (failed): only a release that went live can be rolled back to`,
      ],
      [
        ["--project", "rb-refuse", "--to", current.id],
        `coduck-worker: deployment ${current.id} is already live`,
      ],
      [["--project", "rb-refuse", "--to", "42"], 'coduck-worker: --to: not a deployment id: "42"'],
      [["--project", "nobody"], "coduck-worker: no project nobody"],
      [
        ["--project", "rb-other"],
        "coduck-worker: no earlier successful deployment of rb-other to roll back to",
      ],
    ];
    for (const [args, message] of cases) {
      const run = await rollback(...args);
      expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toEqual({
        args,
        exitCode: 2,
        stderr: message,
      });
    }
    expect(await stack.db.deployment.count()).toBe(count);
    expect((await live("rb-refuse")).id).toBe(current.id);
  });
});

describe("a rollback that fails", () => {
  it("leaves the live release serving, and its retry is still a rollback once the cause is fixed", async () => {
    const app = await fixtureRepo("env-app");
    await cli(["projects", "add", "rbf", "--repo", app.dir], stack.env);
    await cli(["env", "set", "--project", "rbf", "GREETING=one"], stack.env);
    const first = await stack.deploy({ project: "rbf", repoUrl: app.dir });
    expect((await stack.waitForEnd(first, 120_000)).status).toBe("succeeded");
    await app.commit({ "second.txt": "2" }, "second");
    const second = await stack.deploy({ project: "rbf", repoUrl: app.dir });
    const serving = await stack.waitForEnd(second, 120_000);
    expect(serving.status).toBe("succeeded");

    // Without GREETING the earlier release cannot start: the rollback fails, nothing changes.
    await cli(["env", "unset", "--project", "rbf", "GREETING"], stack.env);
    const failed = await rollback("--project", "rbf", "--wait", "--json");
    expect(failed.exitCode).toBe(1);
    const rolledBack = JSON.parse(failed.stdout as string);
    expect(rolledBack).toMatchObject({ rollbackTo: first, status: "failed" });
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "rbf" } });
    expect(project.liveDeploymentId).toBe(second);
    expect((await (await fetchApp(serving.release!.url)).json()) as object).toMatchObject({
      app: "env-app",
    });

    await cli(["env", "set", "--project", "rbf", "GREETING=back"], stack.env);
    const run = await cli(["retry", rolledBack.deploymentId, "--wait", "--json"], stack.env);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ fromStep: "start", reused: ["checkout", "install", "build"] });
    const record = (await getDeploymentRecord(stack.db, result.deploymentId))!;
    expect(record.warnings).toContain(rolledBack.warning);
    expect(record.steps.find((s) => s.name === "schema")!.skipReason).toBe(
      "not run: a rollback does not roll the database schema back",
    );
    const row = await stack.db.deployment.findUniqueOrThrow({ where: { id: result.deploymentId } });
    expect(row).toMatchObject({ rollbackToId: first, retryOfId: rolledBack.deploymentId });
    const live = await stack.db.project.findUniqueOrThrow({ where: { slug: "rbf" } });
    expect(live.liveDeploymentId).toBe(result.deploymentId);
    expect(record.commitSha).toBe((await getDeploymentRecord(stack.db, first))!.commitSha);
  });
});
