import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ STEP_TIMEOUT_SECONDS: "3" });
  await stack.startWorker();
});
afterAll(() => stack.close());

it("stops a step that runs past its timeout, with its whole process tree, and fails the deploy", async () => {
  const repo = await fixtureRepo("node-http", {
    "scripts/build.js": 'console.log("waiting forever");\nsetInterval(() => {}, 1000);\n',
  });
  const started = Date.now();
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "hangs", repoUrl: repo.dir }),
  );

  expect(Date.now() - started).toBeLessThan(30_000);
  expect(record.status).toBe("failed");
  expect(record.errorCode).toBe("STEP_TIMEOUT");
  const build = record.steps[3]!;
  expect(build).toMatchObject({ status: "failed", errorCode: "STEP_TIMEOUT", signal: "SIGTERM" });
  expect(build.durationMs).toBeGreaterThanOrEqual(3_000);
  expect(build.logTail).toContain("waiting forever");
  expect(build.logTail).toContain("build ran longer than 3s and was stopped");
});
