import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import { fixtureRepo, type GitRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

let stack: TestStack;
let repo: GitRepo;
let v1: string;
let v2: string;

const server = (version: string) => ({
  "src/index.js": [
    'import { createServer } from "node:http";',
    `createServer((_q, r) => r.end("${version}")).listen(Number(process.env.PORT));`,
  ].join("\n"),
});

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
  repo = await fixtureRepo("node-http", server("v1"));
  v1 = await stack.deploy({ project: "rb", repoUrl: repo.dir });
  expect((await stack.waitForEnd(v1, 120_000)).status).toBe("succeeded");
  await repo.commit(server("v2"), "v2");
  v2 = await stack.deploy({ project: "rb", repoUrl: repo.dir });
  expect((await stack.waitForEnd(v2, 120_000)).status).toBe("succeeded");
});
afterAll(() => stack.close());

const rollback = (...args: string[]) => cli(["rollback", ...args], stack.env);
const live = async () => {
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "rb" } });
  return (await getDeploymentRecord(stack.db, project.liveDeploymentId!))!;
};

describe("coduck-worker rollback", () => {
  it("serves the previous release again from its kept directory, recorded, schema left alone", async () => {
    const run = await rollback("--project", "rb", "--wait", "--json");
    expect(run.stderr).toContain(`rollback of rb to deployment ${v1}`);
    expect(run.stderr).toContain("from its kept release directory");
    expect(run.stderr).toContain("warning: the database schema is not rolled back");
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ rollbackTo: v1, fromKeptRelease: true, status: "succeeded" });

    const current = await live();
    expect(current.id).toBe(result.deploymentId);
    expect(await (await fetch(current.release!.url)).text()).toBe("v1");
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
    const target = await stack.db.deployment.findUniqueOrThrow({ where: { id: v2 } });
    await rm(target.releaseDir!, { recursive: true, force: true });
    const run = await rollback("--project", "rb", "--to", v2, "--wait", "--json");
    expect(run.stderr).toContain(
      `by deploying its commit again (its release directory ${target.releaseDir} is gone)`,
    );
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ rollbackTo: v2, fromKeptRelease: false, status: "succeeded" });
    const current = await live();
    expect(current.id).toBe(result.deploymentId);
    expect(await (await fetch(current.release!.url)).text()).toBe("v2");
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
    const other = await stack.deploy({ project: "rb-other", repoUrl: repo.dir });
    expect((await stack.waitForEnd(other, 120_000)).status).toBe("succeeded");
    const broken = await stack.deploy({ project: "rb", repoUrl: path.join(repo.dir, "missing") });
    expect((await stack.waitForEnd(broken)).status).toBe("failed");
    const current = await live();

    const count = await stack.db.deployment.count();
    const cases: Array<[string[], string]> = [
      [
        ["--project", "rb", "--to", other],
        `coduck-worker: --to: deployment ${other} is of project rb-other, not rb`,
      ],
      [
        ["--project", "rb", "--to", broken],
        `coduck-worker: --to: deployment ${broken} never succeeded (failed): only a release that went live can be rolled back to`,
      ],
      [
        ["--project", "rb", "--to", current.id],
        `coduck-worker: deployment ${current.id} is already live`,
      ],
      [["--project", "rb", "--to", "42"], 'coduck-worker: --to: not a deployment id: "42"'],
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
    expect((await live()).id).toBe(current.id);
  });
});
