import { jest } from "@jest/globals";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Each test waits for a real deploy to end (up to 120 s).
jest.setTimeout(180_000);

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ STEP_TIMEOUT_SECONDS: "4" });
  await stack.startWorker();
});
afterAll(async () => {
  await stack?.close();
});

const hangingBuild = {
  "scripts/build.js": 'console.log("waiting forever");\nsetInterval(() => {}, 1000);\n',
};

it("stops a step that runs past the worker's timeout, with its whole process tree, and fails the deploy", async () => {
  // The build's own limit comes from coduck.json, so a slow install on a busy machine does not
  // use it up; the worker-wide default (4 s) is exercised by the next test.
  const repo = await fixtureRepo("node-http", {
    ...hangingBuild,
    "coduck.json": JSON.stringify({ timeouts: { install: 600, build: 2 } }),
  });
  const started = Date.now();
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "hangs", repoUrl: repo.dir }),
  );

  expect(Date.now() - started).toBeLessThan(60_000);
  expect(record.status).toBe("failed");
  expect(record.errorCode).toBe("STEP_TIMEOUT");
  const build = record.steps[3]!;
  expect(build).toMatchObject({ status: "failed", errorCode: "STEP_TIMEOUT", signal: "SIGTERM" });
  expect(build.durationMs).toBeGreaterThanOrEqual(2_000);
  expect(build.logTail).toContain("waiting forever");
  expect(build.logTail).toContain("build ran longer than 2s and was stopped");
});

it("uses STEP_TIMEOUT_SECONDS when coduck.json sets no limit for the step", async () => {
  const repo = await fixtureRepo("node-http", {
    ...hangingBuild,
    "coduck.json": JSON.stringify({ timeouts: { install: 600 } }),
  });
  const record = await stack.waitForEnd(
    await stack.deploy({ project: "hangs-default", repoUrl: repo.dir }),
  );
  expect(record.errorCode).toBe("STEP_TIMEOUT");
  expect(record.steps[3]!.logTail).toContain("build ran longer than 4s and was stopped");
});
