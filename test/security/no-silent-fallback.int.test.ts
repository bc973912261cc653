import { mkdtemp, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { BIN, cli, startWorkerProcess } from "../helpers/worker-process.js";

// A real worker process starts (30 s) and logs its warning (30 s).
jest.setTimeout(120_000);

// Issue 18, item 7: a worker never runs app code unsandboxed unless told to, explicitly, with
// SANDBOX=off; then it says so at start and in doctor (and every deployment records it: see
// launcher-environment.int.test.ts).
let stack: TestStack;
let noBwrapPath: string;

beforeAll(async () => {
  stack = await createTestStack();
  // A PATH with node and nothing else: no bwrap on this "machine".
  noBwrapPath = await mkdtemp(path.join(os.tmpdir(), "coduck-path-"));
  await symlink(process.execPath, path.join(noBwrapPath, "node"));
});
afterAll(async () => {
  await stack?.close();
  if (noBwrapPath) await rm(noBwrapPath, { recursive: true, force: true });
});

/** `coduck-worker start` without SANDBOX in its environment, given up on after 20 s. */
function startWithout(env: Record<string, string>) {
  const inherited = { ...process.env };
  delete inherited.SANDBOX;
  return execa(process.execPath, [BIN, "start"], {
    env: { ...inherited, ...env },
    extendEnv: false,
    reject: false,
    timeout: 20_000,
  });
}

it("refuses to start where bubblewrap is missing, by default: exit 2 and one line", async () => {
  const run = await startWithout({ ...stack.env, PATH: noBwrapPath });
  expect(run.timedOut).toBe(false);
  expect(run.exitCode).toBe(2);
  // The one line under the header every refused setting gets.
  expect(run.stderr.split("\n")).toEqual([
    "coduck-worker: invalid environment",
    expect.stringMatching(
      /^ {2}SANDBOX: bwrap \(the default\) is required, but no sandbox: bwrap is not installed .*SANDBOX=off/,
    ),
  ]);
});

it("refuses the former SANDBOX=auto, which fell back to running app code unsandboxed", async () => {
  const run = await startWithout({ ...stack.env, PATH: noBwrapPath, SANDBOX: "auto" });
  expect(run.timedOut).toBe(false);
  expect(run.exitCode).toBe(2);
  expect(run.stderr).toMatch(/SANDBOX: auto is no longer accepted/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

it("starts with SANDBOX=off set explicitly, and says at start that app code runs unsandboxed", async () => {
  const worker = await startWorkerProcess({ ...stack.env, PATH: noBwrapPath, SANDBOX: "off" });
  try {
    const line = await worker.waitForLog("app commands run without a sandbox");
    expect(line).toMatchObject({
      level: 40,
      sandbox: expect.stringMatching(/^off \(SANDBOX=off\): app commands run unsandboxed/),
    });
  } finally {
    worker.child.kill("SIGTERM");
    await worker.child;
  }
});

it("doctor warns while SANDBOX=off, and fails where the worker would refuse to start", async () => {
  const sandboxLine = (stdout: unknown) =>
    String(stdout)
      .split("\n")
      .find((line) => / sandbox /.test(line));
  const off = await cli(["doctor"], { ...stack.env, SANDBOX: "off" });
  expect(sandboxLine(off.stdout)).toMatch(/^warn +sandbox +off \(SANDBOX=off\)/);
  const missing = await cli(["doctor"], { ...stack.env, SANDBOX: "bwrap", PATH: noBwrapPath });
  expect(sandboxLine(missing.stdout)).toMatch(
    /^fail +sandbox +no sandbox: bwrap is not installed.*the worker refuses to start/,
  );
  expect(missing.exitCode).toBe(1);
});
