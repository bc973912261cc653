import { asProjectRole } from "../helpers/as-project-role.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// A tenant names a table with terminal control sequences (OSC 52 writes the operator's
// clipboard) and makes its database fail to restore: a CHECK that calls a function reading
// another table, which the dump fills after this one (names sort by byte: ESC before `z`).
// Postgres' error names the table, psql prints the error, and the restore records its last
// `ERROR:` line. A move's restore stage records that line as the move's error (restore … failed:
// …), which `projects show` and `projects move` print in the move's summary, and `hosts drain
// --wait` in its `failed:` line; `restore --wait` prints the restore's own. Each must reach the
// operator's terminal as text (as `deployments logs` and `db rows` do), never be obeyed.
const SLUG = "esc-move";
const TABLE = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07a";
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ HOST_ID: "h1" });
  await stack.startWorker();
}, 120_000);
afterAll(async () => {
  await stack?.close();
}, 60_000);

/** Any character a terminal acts on: C0 controls but tab and newline, DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is matched
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

it("a restore's and a move's error naming a tenant's table reach the operator as text", async () => {
  expect((await cli(["provision", "--project", SLUG], stack.env)).exitCode).toBe(0);
  await asProjectRole(stack, SLUG, async (client) => {
    await client.query("CREATE TABLE public.z (y int); INSERT INTO public.z VALUES (1)");
    await client.query(
      "CREATE FUNCTION public.ok(int) RETURNS bool LANGUAGE sql AS 'SELECT EXISTS (SELECT 1 FROM public.z)'",
    );
    const t = client.escapeIdentifier(TABLE);
    await client.query(`CREATE TABLE public.${t} (x int CHECK (public.ok(x)))`);
    await client.query(`INSERT INTO public.${t} VALUES (1)`);
  });
  const backup = await cli(["backups", "create", "--project", SLUG, "--wait", "--json"], stack.env);
  expect(backup.exitCode).toBe(0);
  const backupId = JSON.parse(String(backup.stdout)).id as string;

  const restore = await cli(
    ["restore", "--project", SLUG, "--backup", backupId, "--confirm", SLUG, "--wait"],
    stack.env,
  );
  expect(restore.exitCode).toBe(1);
  const restored = await stack.db.restore.findFirstOrThrow({
    where: { backupId },
    orderBy: { createdAt: "desc" },
  });
  // The tenant's bytes are in the record (the record keeps what Postgres said) ...
  expect(restored.error).toContain("\x1b]52;c;");
  // ... and shown as text.
  expect(String(restore.stdout)).toContain("\\x1b]52;c;");
  expect(String(restore.stdout)).not.toMatch(CONTROL);

  // The same restore failing in a move's restore stage: its error, as restoreStage records it.
  const project = await stack.db.project.findUniqueOrThrow({ where: { slug: SLUG } });
  await stack.db.projectMove.create({
    data: {
      projectId: project.id,
      fromHostId: "h1",
      toHostId: "h2",
      status: "failed",
      stage: "restore",
      fromDatabase: "x",
      fromRole: "x",
      error: `restore ${restored.id} failed: ${restored.error}`,
      log: [`restore failed: ${restored.error}`],
    },
  });
  const show = await cli(["projects", "show", SLUG], stack.env);
  expect(show.exitCode).toBe(0);
  expect(String(show.stdout)).toContain("\\x1b]52;c;");
  expect(String(show.stdout)).not.toMatch(CONTROL);
}, 240_000);
