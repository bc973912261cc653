import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import { readDeploymentLogs } from "../../src/store/read-deployment-logs.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { type PrivatePostgres, startPrivatePostgres } from "../helpers/private-postgres.js";
import { stopLeftoverSteps } from "../helpers/releases.js";
import { tempDir } from "../helpers/temp-dir.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli, startWorkerProcess, type WorkerProcess } from "../helpers/worker-process.js";

// An install to block (60 s), the worker's retry log (30 s), the deploy's end (90 s).
jest.setTimeout(240_000);

// The worker's database (a cluster of the test's own) restarted, then down for a while, in the
// middle of a deploy: the worker keeps running, waits for it, and the record is complete.

let pg: PrivatePostgres;
let stack: TestStack;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  const databaseUrl = pg.url("coduck_worker");
  const migrated = await cli(["migrate"], { DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  expect(migrated.exitCode).toBe(0);
  stack = await createTestStack({
    DATABASE_URL: databaseUrl,
    // The project's database lives on the same cluster.
    ADMIN_DATABASE_URL: pg.url("postgres"),
    DIRECT_DATABASE_PORT: String(pg.port),
    RUNTIME_WATCH_SECONDS: "0",
    // The blocking app waits for files the test makes outside its release: no sandbox, which
    // would hide them (test/security proves it).
    SANDBOX: "off",
  });
});
afterAll(async () => {
  await pg?.start().catch(() => {}); // when a failed test left it stopped
  worker?.child.kill("SIGKILL");
  await worker?.child;
  if (stack) await stopLeftoverSteps(stack.db).catch(() => {});
  await stack?.close();
  await pg?.destroy();
});

describe("Postgres restarted mid-deploy", () => {
  it("the worker keeps running, retries its bookkeeping, and records the deploy completely", async () => {
    const dir = await tempDir("coduck-block-");
    const repo = await fixtureRepo("blocking-app", {
      "coduck.json": JSON.stringify({
        install: "node block.js install && npm ci",
        env: { BLOCK_DIR: dir },
      }),
    });
    worker = await startWorkerProcess(stack.env);
    const id = await stack.deploy({ project: "pg-restart", repoUrl: repo.dir });
    await waitFor("install to block", () => existsSync(path.join(dir, "install.ready")));

    // Every session, the project lane's included, is cut; the server is back at once.
    await pg.restart();
    // Then down while the step ends and its end must be recorded.
    await pg.stop();
    await writeFile(path.join(dir, "install.go"), "");
    await worker.waitForLog("the worker's database is unreachable; retrying");
    await pg.start();

    const record = await stack.waitForEnd(id, 90_000);
    expect(worker.child.exitCode).toBeNull();
    expect(record.status).toBe("succeeded");
    // Ran once, with no error on the way (the retries are warnings): the outage cost nothing.
    const errors = worker.logs.filter((line) => (line.level as number) >= 50);
    expect({ attempt: record.attempt, errors }).toEqual({ attempt: 1, errors: [] });
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ["provision", "succeeded"],
      ["checkout", "succeeded"],
      ["install", "succeeded"],
      ["build", "skipped"],
      ["schema", "skipped"],
      ["start", "succeeded"],
    ]);
    const install = record.steps.find((s) => s.name === "install")!;
    expect(install.durationMs).toBeGreaterThan(0);
    const lines = (await readDeploymentLogs(stack.db, id, { step: "install" })).map((l) => l.line);
    expect(lines).toEqual(
      expect.arrayContaining([
        `install blocked until ${path.join(dir, "install.go")} exists`,
        "install let go",
      ]),
    );
    // The lane was taken back after the restart, not lost: nothing stopped the deploy.
    expect(
      worker.logs.some(
        (l) => l.msg === "a newer attempt took over this deploy; this attempt stopped",
      ),
    ).toBe(false);
  });
});
