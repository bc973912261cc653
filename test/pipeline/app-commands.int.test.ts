import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// coduck.json commands as the docs write them: `tsc`, `drizzle-kit push`, `prisma migrate
// deploy`, with no npx and no npm run in front.
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack();
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

describe("coduck.json commands", () => {
  it("find the app's own tools in node_modules/.bin; a program it lacks is COMMAND_NOT_FOUND", async () => {
    // `tsc` is only in the app's node_modules/.bin; `drizzle-kit` is nowhere.
    const repo = await fixtureRepo("ts-app", {
      "coduck.json": JSON.stringify({
        build: "tsc -p tsconfig.json",
        preStart: "drizzle-kit push",
      }),
    });
    const record = await stack.waitForEnd(
      await stack.deploy({ project: "bare-tools", repoUrl: repo.dir }),
      120_000,
    );
    const build = record.steps.find((s) => s.name === "build")!;
    expect({ command: build.command, status: build.status }).toEqual({
      command: "tsc -p tsconfig.json",
      status: "succeeded",
    });
    expect({ status: record.status, errorCode: record.errorCode }).toEqual({
      status: "failed",
      errorCode: "COMMAND_NOT_FOUND",
    });
    const schema = record.steps.find((s) => s.name === "schema")!;
    expect(schema.exitCode).toBe(127);
    expect(schema.evidence).toMatch(/drizzle-kit: not found/);
    expect(record.hint).toMatch(/dependencies/);
    expect(record.hint).not.toMatch(/migration/i);
  }, 180_000);
});
