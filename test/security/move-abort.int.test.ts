import { isRoleReadOnly, setSourceReadOnly } from "../../src/moves/freeze-source.js";
import { createTenantDatabase, queryAt } from "../helpers/databases.js";
import { registerHosts } from "../helpers/hosts.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

// An unlucky operator: the target host of a running move dies for good after the backup stage
// froze the source. Its restore stage waits in the dead host's queue for ever: the move stays
// running, the project's database on its source refuses writes, its deploys wait for the move,
// and every later move of it is refused ("being moved already"). Nothing ended such a move.
// `projects move P --abort --confirm P` fails it and queues the source's unfreeze.
const SLUG = "stranded";
let stack: TestStack;
let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
  await registerHosts(stack.db, ["h1", "h2"]);
  await stack.startWorker();
  tenant = await createTenantDatabase("stranded");
  await queryAt(tenant.url, "CREATE TABLE notes (id serial PRIMARY KEY, body text)");
}, 120_000);
afterAll(async () => {
  await tenant?.drop();
  await stack?.close();
}, 60_000);

it("a move stranded on a dead host is aborted: failed, and the source takes writes again", async () => {
  const project = await stack.db.project.create({ data: { slug: SLUG, hostId: "h1" } });
  await setSourceReadOnly(stack.config, { role: tenant.name, database: tenant.name }, true);
  const move = await stack.db.projectMove.create({
    data: {
      projectId: project.id,
      fromHostId: "h1",
      toHostId: "h2",
      status: "running",
      stage: "restore",
      fromDatabase: tenant.name,
      fromRole: tenant.name,
    },
  });
  await expect(queryAt(tenant.url, "INSERT INTO notes (body) VALUES ('x')")).rejects.toThrow(
    /read-only transaction/,
  );

  // Refused without the slug, and nothing changes.
  const unconfirmed = await cli(["projects", "move", SLUG, "--abort"], stack.env);
  expect(unconfirmed.exitCode).toBe(2);
  expect((await stack.db.projectMove.findUniqueOrThrow({ where: { id: move.id } })).status).toBe(
    "running",
  );

  const aborted = await cli(["projects", "move", SLUG, "--abort", "--confirm", SLUG], stack.env);
  expect({ code: aborted.exitCode, stderr: aborted.stderr }).toMatchObject({ code: 0 });
  expect(String(aborted.stdout)).toMatch(/aborted at restore: its unfreeze is queued on h1/);
  const failed = await stack.db.projectMove.findUniqueOrThrow({ where: { id: move.id } });
  expect({ status: failed.status, stage: failed.stage }).toEqual({
    status: "failed",
    stage: "restore",
  });
  expect(failed.error).toMatch(/^aborted/);
  await waitFor(
    "the source to be unfrozen",
    async () => !(await isRoleReadOnly(stack.config, tenant.name)),
    30_000,
  );
  await queryAt(tenant.url, "INSERT INTO notes (body) VALUES ('written')");

  // Nothing left to abort.
  const again = await cli(["projects", "move", SLUG, "--abort", "--confirm", SLUG], stack.env);
  expect(again.exitCode).toBe(2);
  expect(String(again.stderr)).toMatch(/is failed, not running: nothing to abort/);
}, 90_000);
