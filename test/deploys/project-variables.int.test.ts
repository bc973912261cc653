import { randomBytes } from "node:crypto";
import { jest } from "@jest/globals";
import { OperationRefusedError } from "../../src/deploys/operation-refused.js";
import { setVariables } from "../../src/deploys/project-variables.js";
import { getDeploymentRecord } from "../../src/store/deployment-record.js";
import { readLogLines } from "../../src/store/step-log-lines.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// Tests wait for real deploys to end (120 s each).
jest.setTimeout(240_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const env = (...args: string[]) => cli(["env", ...args], stack.env);
const token = `tok-${randomBytes(8).toString("hex")}`;

/** Every stored line and row of a deployment, as one text. */
async function everythingStored(id: string): Promise<string> {
  const steps = await stack.db.deploymentStep.findMany({ where: { deploymentId: id } });
  const lines = await Promise.all(steps.map((s) => readLogLines(stack.db, s.id)));
  const row = await stack.db.deployment.findUniqueOrThrow({ where: { id } });
  return [
    ...lines.flat().map((l) => l.line),
    JSON.stringify(steps),
    JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
  ].join("\n");
}

async function waitFor<T>(read: () => Promise<T | null>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stepLines(id: string, step: string): Promise<string[]> {
  const row = await stack.db.deploymentStep.findFirstOrThrow({
    where: { deploymentId: id, name: step },
  });
  return (await readLogLines(stack.db, row.id)).map((l) => l.line);
}

describe("coduck-worker env", () => {
  it("sets, lists and unsets a project's variables, stored encrypted, secrets hidden", async () => {
    const repo = await fixtureRepo("env-app");
    expect(
      (await cli(["projects", "add", "vars-app", "--repo", repo.dir], stack.env)).exitCode,
    ).toBe(0);

    const set = await env("set", "--project", "vars-app", "GREETING=from-project", "EXTRA=a=b");
    expect(set.stdout).toBe("set GREETING, EXTRA for vars-app; the next deploy gets them");
    expect(
      (await env("set", "--project", "vars-app", "--secret", `API_TOKEN=${token}`)).exitCode,
    ).toBe(0);

    const ofProject = { project: { slug: "vars-app" } };
    const rows = await stack.db.projectVariable.findMany({ where: ofProject });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.keyVersion).toBe(1);
      expect(row.valueEncrypted).not.toMatch(/from-project|a=b|tok-/);
    }

    const list = await env("list", "--project", "vars-app");
    expect(list.stdout).toBe(
      [
        "API_TOKEN  ******** (secret; --reveal shows it)",
        "EXTRA      a=b",
        "GREETING   from-project",
      ].join("\n"),
    );
    const revealed = await env("list", "--project", "vars-app", "--reveal");
    expect(revealed.stdout).toContain(`API_TOKEN  ${token}  (secret)`);
    const json = JSON.parse(
      (await env("list", "--project", "vars-app", "--json")).stdout as string,
    );
    expect(json).toEqual([
      { name: "API_TOKEN", value: null, secret: true, updatedAt: expect.any(String) },
      { name: "EXTRA", value: "a=b", secret: false, updatedAt: expect.any(String) },
      { name: "GREETING", value: "from-project", secret: false, updatedAt: expect.any(String) },
    ]);

    // Replacing a secret's value without --secret keeps it secret.
    await env("set", "--project", "vars-app", `API_TOKEN=${token}`);
    expect((await env("list", "--project", "vars-app")).stdout).toContain(
      "API_TOKEN  ******** (secret; --reveal shows it)",
    );

    const unset = await env("unset", "--project", "vars-app", "EXTRA");
    expect(unset.exitCode).toBe(0);
    expect(await stack.db.projectVariable.count({ where: ofProject })).toBe(2);
  });

  it("refuses bad names, reserved names, NUL and unknown projects before writing anything", async () => {
    const repo = await fixtureRepo("env-app");
    expect(
      (await cli(["projects", "add", "refusals", "--repo", repo.dir], stack.env)).exitCode,
    ).toBe(0);
    expect((await env("set", "--project", "refusals", "GREETING=hello")).exitCode).toBe(0);
    const before = await stack.db.projectVariable.findMany({ orderBy: { name: "asc" } });
    const cases: Array<[string[], string]> = [
      [
        ["set", "--project", "refusals", "GOOD=1", "DATABASE_URL=postgres://elsewhere"],
        "coduck-worker: RESERVED_ENV: DATABASE_URL is reserved and injected by the platform (DATABASE_URL through PgBouncer, DIRECT_URL for migrations, PORT to listen on); it cannot be a project variable",
      ],
      [
        ["set", "--project", "refusals", "PORT=1"],
        expect.stringContaining("RESERVED_ENV: PORT is reserved"),
      ],
      [
        ["set", "--project", "refusals", "GOOD=1", "1BAD=x"],
        'coduck-worker: "1BAD" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)',
      ],
      [
        ["set", "--project", "refusals", "GREETING"],
        'coduck-worker: expected KEY=VALUE, not "GREETING"',
      ],
      [["set", "--project", "refusals", "A=1", "A=2"], "coduck-worker: A is given twice"],
      [
        ["set", "--project", "nobody", "A=1"],
        "coduck-worker: no project nobody: register it with coduck-worker projects add, or deploy it once",
      ],
      [
        ["unset", "--project", "refusals", "GREETING", "NEVER_SET"],
        "coduck-worker: NEVER_SET is not set for project refusals; nothing was removed",
      ],
      [
        ["list", "--project", "Bad Slug"],
        'coduck-worker: --project: not a project slug: "Bad Slug"',
      ],
    ];
    for (const [args, message] of cases) {
      const run = await env(...args);
      expect({ args, exitCode: run.exitCode, stderr: run.stderr }).toEqual({
        args,
        exitCode: 2,
        stderr: message,
      });
    }
    // A NUL cannot come through argv; the dashboard and API set values through the same check.
    await expect(
      setVariables(
        { db: stack.db, keyring: stack.keyring },
        {
          project: "refusals",
          assignments: [{ name: "GREETING", value: "a\u0000b" }],
          secret: false,
        },
      ),
    ).rejects.toThrow(
      new OperationRefusedError("invalid", "GREETING: a value cannot contain a NUL character"),
    );
    expect(await stack.db.projectVariable.findMany({ orderBy: { name: "asc" } })).toEqual(before);
  });
});

describe("project variables in a deploy", () => {
  it("reach every step over coduck.json env, under the platform's, with secrets redacted", async () => {
    const repo = await fixtureRepo("env-app", {
      "coduck.json": JSON.stringify({ env: { GREETING: "from-json", ONLY_IN_JSON: "json" } }),
    });
    expect(
      (await cli(["projects", "add", "vars-deploy", "--repo", repo.dir], stack.env)).exitCode,
    ).toBe(0);
    expect((await env("set", "--project", "vars-deploy", "GREETING=from-project")).exitCode).toBe(
      0,
    );
    expect(
      (await env("set", "--project", "vars-deploy", "--secret", `API_TOKEN=${token}`)).exitCode,
    ).toBe(0);
    const id = await stack.deploy({ project: "vars-deploy", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id, 120_000);
    expect(record.status).toBe("succeeded");

    const served = (await (await fetchApp(record.release!.url)).json()) as {
      env: Record<string, string>;
    };
    expect(served.env).toEqual({
      GREETING: "from-project",
      ONLY_IN_JSON: "json",
      API_TOKEN: token,
      PORT: String(record.release!.port),
    });
    expect(await stepLines(id, "provision")).toContain(
      "project variables: API_TOKEN (secret), GREETING",
    );
    expect(await stepLines(id, "build")).toContain(
      "build: GREETING=from-project API_TOKEN=[redacted]",
    );
    expect(await stepLines(id, "start")).toContain("starting with API_TOKEN=[redacted]");
    // What the runtime watch keeps of the live release's log is redacted the same way.
    await fetchApp(`${record.release!.url}/fail`);
    const degraded = await waitFor(async () => (await getDeploymentRecord(stack.db, id))!.degraded);
    expect(degraded.evidence).toBe('error: relation "orders" does not exist (token [redacted])');
    expect(await everythingStored(id)).not.toContain(token);
  });

  it("a start that failed for want of a variable succeeds on retry once it is set, reusing the build", async () => {
    const repo = await fixtureRepo("env-app");
    const failed = await stack.deploy({ project: "needs-greeting", repoUrl: repo.dir });
    expect(await stack.waitForEnd(failed, 120_000)).toMatchObject({
      status: "failed",
      errorCode: "START_CRASHED",
    });
    await env("set", "--project", "needs-greeting", "GREETING=hello");
    const run = await cli(["retry", failed, "--wait", "--json"], stack.env);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result).toMatchObject({ fromStep: "start", status: "succeeded" });
    const record = (await getDeploymentRecord(stack.db, result.deploymentId))!;
    expect(
      record.steps.filter((s) => s.skipReason?.startsWith("reused from")).map((s) => s.name),
    ).toEqual(["checkout", "install", "build", "schema"]);
    const served = (await (await fetchApp(record.release!.url)).json()) as {
      env: Record<string, string>;
    };
    expect(served.env.GREETING).toBe("hello");
  });
});
