import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// `projects move` from the command line: what it refuses before anything is recorded, and what
// `projects show` says about a project's last move. (The move itself: test/moves/.)
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
});
afterAll(async () => {
  await stack?.close();
});

const run = (...args: string[]) => cli(args, stack.env);

describe("coduck-worker projects move", () => {
  it("refuses, with exit 2 and one line, anything but a confirmed move to another host that is up", async () => {
    await stack.db.project.create({ data: { slug: "web", hostId: "h1" } });
    const cases: [string[], RegExp][] = [
      [["projects", "move", "web"], /give either --to <host> or --cleanup/],
      [
        ["projects", "move", "web", "--to", "h2", "--cleanup"],
        /give either --to <host> or --cleanup/,
      ],
      [["projects", "move", "nope", "--to", "h2", "--confirm", "nope"], /no project "nope"/],
      [
        ["projects", "move", "web", "--to", "h2"],
        /must be confirmed with its slug \(--confirm web\)/,
      ],
      [["projects", "move", "web", "--to", "h2", "--confirm", "Web"], /--confirm web/],
      [["projects", "move", "web", "--to", "h1", "--confirm", "web"], /already lives on host h1/],
      [["projects", "move", "web", "--cleanup", "--confirm", "web"], /was never moved/],
      [["projects", "move", "Bad!", "--to", "h2", "--confirm", "Bad!"], /<slug>: must be/],
      [["projects", "move", "web", "--to", "H 2", "--confirm", "web"], /--to: not a host id/],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 2 });
      expect(result.stderr).toMatch(message);
    }
    expect(await stack.db.projectMove.count()).toBe(0);
  });

  it("refuses a move to a host that is full, counting the projects on their way there", async () => {
    const now = new Date();
    await stack.db.host.createMany({
      data: [
        { id: "h1", address: "127.0.0.1:1", maxProjects: 10, heartbeatAt: now },
        { id: "h3", address: "127.0.0.1:3", maxProjects: 2, heartbeatAt: now },
      ],
      skipDuplicates: true,
    });
    await stack.db.project.create({ data: { slug: "resident", hostId: "h3" } });
    const moving = await stack.db.project.create({ data: { slug: "moving", hostId: "h1" } });
    await stack.db.projectMove.create({
      data: {
        projectId: moving.id,
        fromHostId: "h1",
        toHostId: "h3",
        fromDatabase: "t_moving",
        fromRole: "t_moving",
      },
    });
    const full = await stack.db.project.create({ data: { slug: "full", hostId: "h1" } });
    const live = await stack.db.deployment.create({
      data: { projectId: full.id, repoUrl: "file:///nowhere", ref: "main", status: "succeeded" },
    });
    await stack.db.project.update({ where: { id: full.id }, data: { liveDeploymentId: live.id } });
    await stack.db.projectDatabase.create({
      data: {
        projectId: full.id,
        databaseName: "t_full",
        roleName: "t_full",
        passwordEncrypted: "x",
        keyVersion: 1,
        provisionedAt: now,
      },
    });
    const moves = await stack.db.projectMove.count();
    const result = await run("projects", "move", "full", "--to", "h3", "--confirm", "full");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /host h3 is full \(HOST_MAX_PROJECTS 2\): 1 placed there, 1 moving there/,
    );
    expect(await stack.db.projectMove.count()).toBe(moves);
  });

  it("projects show prints the last move and why it failed", async () => {
    const project = await stack.db.project.findUniqueOrThrow({ where: { slug: "web" } });
    const move = await stack.db.projectMove.create({
      data: {
        projectId: project.id,
        fromHostId: "h1",
        toHostId: "h2",
        status: "failed",
        stage: "restore",
        error: "backup b is not in this host's backup store",
        fromDatabase: "t_web",
        fromRole: "t_web",
      },
    });
    const shown = await run("projects", "show", "web");
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toContain(
      `last move    ${move.id} h1 -> h2: failed at restore: backup b is not in this host's backup store (it serves from h1)`,
    );
    const json = JSON.parse((await run("projects", "show", "web", "--json")).stdout);
    expect(json.move).toMatchObject({ id: move.id, status: "failed", stage: "restore" });
    // A failed move is no move to clean up after.
    const cleanup = await run("projects", "move", "web", "--cleanup", "--confirm", "web");
    expect(cleanup.exitCode).toBe(2);
    expect(cleanup.stderr).toMatch(/is failed at restore, not moved: nothing to clean up/);
  });
});
