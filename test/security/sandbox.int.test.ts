import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { childEnv } from "../../src/exec/child-env.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { sandboxFor, sandboxStatus } from "../../src/exec/sandbox.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { startWorkerProcess } from "../helpers/worker-process.js";

// A sandboxed install to run (60 s), then its processes to end with the killed worker (10 s).
jest.setTimeout(120_000);

let dataDir: string;
let releaseDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-sandbox-"));
  releaseDir = path.join(dataDir, "releases", "boxed", "r-1");
  await mkdir(releaseDir, { recursive: true });
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Host processes running `sleep <marker…>`. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith(`sleep\0${marker}`)) found.push(Number(entry));
  }
  return found;
}

it("says whether app commands run sandboxed, for the worker's start and doctor", async () => {
  await expect(sandboxStatus("off")).resolves.toMatchObject({ mode: "off", active: false });
  const status = await sandboxStatus("bwrap");
  expect(status).toMatchObject({ mode: "bwrap", active: true });
  expect(status.detail).toMatch(/^bubblewrap \d+\.\d+.*each project's own uid/);
});

it("kills everything inside the sandbox when a step's time is up, even what left its process group", async () => {
  const box = await sandboxFor("bwrap", { dataDir, releaseDir, project: "boxed" });
  // Unique sleep lengths mark the processes on the host.
  const mark = `${3000 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
  // The processes as seen once the command said it started them: scanned while they live, and
  // awaited after the step ended (on a loaded machine the scan may finish after the kill).
  let seen: Promise<number[]> | undefined;
  const result = await runCommand(
    await box!.wrap(
      {
        file: "sh",
        args: ["-c", `sleep ${mark} & setsid sleep ${mark}1 & sleep 0.3; echo started; wait`],
        cwd: releaseDir,
        env: childEnv(),
      },
      "step",
    ),
    {
      onOutput: (_stream, lines) =>
        forEachLine(linesText(lines), (line) => {
          if (line === "started") seen ??= processesWith(mark);
        }),
      // Long enough for a box to start on a loaded CI machine (it failed there at 1.5 s).
      timeoutMs: 4_000,
    },
  );
  expect(result.timedOut).toBe(true);
  expect(seen).toBeDefined();
  expect(await seen).toHaveLength(2);
  // They die a moment after the kill: waited for, not guessed with a fixed sleep.
  await waitFor(
    "the sandbox's processes to end",
    async () => (await processesWith(mark)).length === 0,
    10_000,
  );
});

it("ends a sandboxed step's processes with its worker, when the worker is killed with -9", async () => {
  const stack = await createTestStack({ SANDBOX: "bwrap", RUNTIME_WATCH_SECONDS: "0" });
  try {
    const mark = `${4000 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
    const repo = await fixtureRepo("node-http", {
      "coduck.json": JSON.stringify({ install: `sleep ${mark} & setsid sleep ${mark}1 & wait` }),
    });
    const worker = await startWorkerProcess(stack.env);
    await stack.deploy({ project: "killed-mid-install", repoUrl: repo.dir });
    await waitFor("both sleeps to run", async () => (await processesWith(mark)).length === 2);
    worker.child.kill("SIGKILL");
    await worker.child;
    // No worker runs now: the sandbox itself ends with the worker that made it.
    await waitFor(
      "the sandbox's processes to end",
      async () => (await processesWith(mark)).length === 0,
      10_000,
    );
  } finally {
    await stack.close();
  }
});
