import { MoveRefusedError, requestMove } from "../../src/moves/request-move.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Moves between hosts (issue 24) against the order an operator's confirmed commands may land in.
// A move's cleanup drops the source host's copy of the project's database: `DROP DATABASE …
// WITH (FORCE)` on that host's cluster, by name. The same name is the project's database on that
// host again as soon as a later move brings the project back (the target provisions and restores
// under the project's one name). A cleanup still queued when the move back is requested runs
// whenever its host's queue reaches it: after the move back's restore it drops the restored
// database, the move's deploy provisions an empty one in its place, and the switch sends the
// project's traffic to it.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
});
afterAll(async () => {
  await stack?.close();
});

describe("moving a project back while its last move's cleanup is queued", () => {
  it("is refused until the cleanup has ended", async () => {
    const { db } = stack;
    // The stack registered h1 (its own HOST_ID); h2 is up too.
    for (const id of ["h1", "h2"])
      await db.host.upsert({
        where: { id },
        create: {
          id,
          address: `10.0.0.${id.slice(1)}:8080`,
          maxProjects: 100,
          heartbeatAt: new Date(),
        },
        update: { heartbeatAt: new Date() },
      });
    const project = await db.project.create({ data: { slug: "shop", hostId: "h2" } });
    const live = await db.deployment.create({
      data: {
        projectId: project.id,
        repoUrl: "https://example.test/shop.git",
        ref: "main",
        trigger: "push",
        status: "succeeded",
        hostId: "h2",
      },
    });
    await db.project.update({ where: { id: project.id }, data: { liveDeploymentId: live.id } });
    await db.projectDatabase.create({
      data: {
        projectId: project.id,
        databaseName: "t_shop",
        roleName: "t_shop",
        passwordEncrypted: "x",
        keyVersion: 1,
        provisionedAt: new Date(),
      },
    });
    // Moved h1 -> h2; `projects move shop --cleanup --confirm shop` queued the drop of t_shop
    // on h1, whose deploy queue has not reached it yet.
    await db.projectMove.create({
      data: {
        projectId: project.id,
        fromHostId: "h1",
        toHostId: "h2",
        status: "moved",
        stage: "routes",
        fromDatabase: "t_shop",
        fromRole: "t_shop",
        cleanupStatus: "queued",
      },
    });
    const moveBack = requestMove(
      { db, queues: stack.queues, downAfterMs: 60_000 },
      { project: "shop", to: "h1", confirm: "shop", requestedBy: "test" },
    );
    await expect(moveBack).rejects.toThrow(MoveRefusedError);
    await expect(moveBack).rejects.toThrow(/cleanup/);
    expect(await db.projectMove.count({ where: { projectId: project.id } })).toBe(1);
  });
});
