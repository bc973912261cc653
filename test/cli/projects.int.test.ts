import { createDeployment } from "../../src/store/deployments.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const run = (...args: string[]) => cli(args, stack.env);
const TAKEN_REPO = "https://github.com/acme/taken.git";

describe("coduck-worker projects add", () => {
  it("registers a project with its repository and deploy branch", async () => {
    const added = await run("projects", "add", "web", "--repo", "https://github.com/acme/web.git");
    expect(added.exitCode).toBe(0);
    expect(added.stdout).toMatch(
      /^project web added on host t-[0-9a-f]{8}: pushes to main of https:\/\/github\.com\/acme\/web\.git deploy it\nwebhook secret of web \(shown once; set it as the secret of the repository's GitHub webhook\):\n[0-9a-f]{64}$/,
    );
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "web" } });
    // Placed on the installation's one host (the stack's, whose worker has not started).
    expect(project).toMatchObject({
      repoUrl: "https://github.com/acme/web.git",
      branch: "main",
      hostId: stack.config.host.id,
    });
  });

  it("refuses a taken slug, changes nothing, and says how to change the project", async () => {
    expect((await run("projects", "add", "taken", "--repo", TAKEN_REPO)).exitCode).toBe(0);
    const again = await run(
      "projects",
      "add",
      "taken",
      "--repo",
      "https://github.com/acme/other.git",
      "--branch",
      "prod",
    );
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/project taken already exists/);
    expect(again.stderr).toMatch(/coduck-worker projects set taken --repo <url> --branch <branch>/);
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "taken" } });
    expect(project).toMatchObject({ repoUrl: TAKEN_REPO, branch: "main" });
  });

  it("refuses a second project on the same branch of the same repository, however spelled", async () => {
    const first = await run(
      "projects",
      "add",
      "twin",
      "--repo",
      "https://github.com/acme/twin.git",
    );
    expect(first.exitCode).toBe(0);
    const twin = await run("projects", "add", "twin-2", "--repo", "git@github.com:acme/twin");
    expect(twin.exitCode).toBe(2);
    expect(twin.stderr).toMatch(/project twin already deploys branch main/);
    expect(await stack.db.project.findUnique({ where: { slug: "twin-2" } })).toBeNull();
    // Another branch of it is another project.
    const staging = await run(
      "projects",
      "add",
      "twin-staging",
      "--repo",
      "git@github.com:acme/twin",
      "--branch",
      "staging",
    );
    expect(staging.exitCode).toBe(0);
  });

  it("validates the slug, repository and branch by the deploy rules before recording anything", async () => {
    const before = await stack.db.project.count();
    const badSlug = await run("projects", "add", "Bad_Slug", "--repo", "https://x.test/r.git");
    expect(badSlug.exitCode).toBe(2);
    expect(badSlug.stderr).toMatch(/<slug>: must be 1 to 63 lowercase letters/);
    const badRepo = await run("projects", "add", "ok", "--repo", "ext::sh -c evil");
    expect(badRepo.exitCode).toBe(2);
    expect(badRepo.stderr).toMatch(/--repo: /);
    const badBranch = await run(
      "projects",
      "add",
      "ok",
      "--repo",
      "https://x.test/r",
      "--branch",
      "a..b",
    );
    expect(badBranch.exitCode).toBe(2);
    expect(badBranch.stderr).toMatch(/--branch: /);
    const missingRepo = await run("projects", "add", "ok");
    expect(missingRepo.exitCode).not.toBe(0);
    expect(await stack.db.project.count()).toBe(before);
  });
});

describe("coduck-worker projects set", () => {
  it("changes the deploy branch explicitly", async () => {
    await run("projects", "add", "api", "--repo", "https://github.com/acme/api");
    const set = await run("projects", "set", "api", "--branch", "release");
    expect(set.exitCode).toBe(0);
    expect(set.stdout).toBe(
      "project api: pushes to release of https://github.com/acme/api deploy it",
    );
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "api" } });
    expect(project.branch).toBe("release");
  });

  it("refuses an unknown project", async () => {
    const set = await run("projects", "set", "nope", "--branch", "main");
    expect(set.exitCode).toBe(2);
    expect(set.stderr).toMatch(/no project nope/);
  });
});

describe("coduck-worker projects list", () => {
  // A stack of its own: the list is of every project, and the other tests add theirs.
  let stack: TestStack;
  const run = (...args: string[]) => cli(args, stack.env);
  beforeAll(async () => {
    stack = await createTestStack();
    for (const add of [
      ["api", "--repo", "https://github.com/acme/api"],
      ["web", "--repo", "https://github.com/acme/web.git"],
      ["web-staging", "--repo", "git@github.com:acme/web", "--branch", "staging"],
    ])
      expect((await run("projects", "add", ...add)).exitCode).toBe(0);
    const set = await run("projects", "set", "api", "--branch", "release");
    expect({ exitCode: set.exitCode, stderr: set.stderr }).toEqual({ exitCode: 0, stderr: "" });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("--json lists every project", async () => {
    const listed = await run("projects", "list", "--json");
    expect(listed.exitCode).toBe(0);
    const rows = JSON.parse(listed.stdout as string);
    expect(rows.map((r: { slug: string }) => r.slug)).toEqual(["api", "web", "web-staging"]);
    expect(rows[1]).toEqual({
      slug: "web",
      host: stack.config.host.id,
      repoUrl: "https://github.com/acme/web.git",
      branch: "main",
      webhookSecret: "own",
      database: null,
      liveDeploymentId: null,
      createdAt: expect.any(String),
    });
  });

  it("prints one line per project", async () => {
    const listed = await run("projects", "list");
    expect(listed.exitCode).toBe(0);
    expect((listed.stdout as string).split("\n")).toEqual([
      expect.stringMatching(/^api\s+t-[0-9a-f]{8}\s+release\s+https:\/\/github\.com\/acme\/api$/),
      expect.stringMatching(/^web\s+t-[0-9a-f]{8}\s+main\s+https:\/\/github\.com\/acme\/web\.git$/),
      expect.stringMatching(/^web-staging\s+t-[0-9a-f]{8}\s+staging\s+git@github\.com:acme\/web$/),
    ]);
  });
});

const SHOWN_REPO = "https://github.com/acme/shown.git";

describe("coduck-worker projects show", () => {
  it("shows the database, the last 5 deploys newest first, and the live release", async () => {
    expect((await run("projects", "add", "shown", "--repo", SHOWN_REPO)).exitCode).toBe(0);
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "shown" } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { id } = await createDeployment(stack.db, {
        project: "shown",
        repoUrl: project.repoUrl!,
        ref: `${i}`.repeat(40),
        trigger: "webhook",
        steps: ["checkout"],
      });
      ids.push(id);
    }
    const live = ids[4]!;
    await stack.db.deployment.update({
      where: { id: live },
      data: {
        status: "succeeded",
        commitSha: "4".repeat(40),
        releasePort: 40123,
        releasePid: 4242,
      },
    });
    await stack.db.project.update({
      where: { id: project.id },
      data: {
        liveDeploymentId: live,
        database: {
          create: {
            databaseName: "prj_shown_abc",
            roleName: "prj_shown_abc",
            passwordEncrypted: "sealed",
            keyVersion: 1,
            provisionedAt: new Date(),
          },
        },
      },
    });

    const shown = await run("projects", "show", "shown", "--json");
    expect(shown.exitCode).toBe(0);
    const record = JSON.parse(shown.stdout as string);
    expect(record).toMatchObject({
      slug: "shown",
      repoUrl: SHOWN_REPO,
      branch: "main",
      database: { name: "prj_shown_abc", provisionedAt: expect.any(String) },
      live: {
        deploymentId: live,
        commitSha: "4".repeat(40),
        url: "http://127.0.0.1:40123",
        pid: 4242,
      },
    });
    expect(record.deployments.map((d: { id: string }) => d.id)).toEqual(ids.slice(1).reverse());

    const text = await run("projects", "show", "shown");
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^database\s+prj_shown_abc$/m);
    expect(text.stdout).toMatch(
      new RegExp(`^live\\s+${live} \\(444444444444\\) at http://127\\.0\\.0\\.1:40123$`, "m"),
    );
    expect(text.stdout).toMatch(new RegExp(`^  ${ids[5]}\\s+queued\\s+webhook`, "m"));
  });

  it("says when a project has no database, deploys or live release yet", async () => {
    expect(
      (await run("projects", "add", "bare", "--repo", "https://github.com/acme/bare")).exitCode,
    ).toBe(0);
    const shown = await run("projects", "show", "bare");
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/^database\s+not provisioned yet/m);
    expect(shown.stdout).toMatch(/^live\s+nothing live$/m);
    expect(shown.stdout).toMatch(/^ {2}none yet$/m);
  });

  it("refuses an unknown project", async () => {
    const shown = await run("projects", "show", "nope");
    expect(shown.exitCode).toBe(2);
    expect(shown.stderr).toBe("coduck-worker: no project nope");
  });
});
