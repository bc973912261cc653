import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { execa } from "execa";
import { cgroupParent } from "../../src/exec/box-cgroup.js";
import { childEnv } from "../../src/exec/child-env.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { DEFAULT_LIMITS, type ResourceLimits } from "../../src/exec/resource-limits.js";
import { type Command, runCommand } from "../../src/exec/run-command.js";
import { type SandboxLifetime, sandboxFor } from "../../src/exec/sandbox.js";
import { classifyLog } from "../../src/failures/classify.js";
import { waitFor } from "../helpers/wait-for.js";

// Real bubblewrap and real cgroups, as root: each box a few seconds at most.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;
let dataDir: string;
let releaseDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-limits-"));
  releaseDir = path.join(dataDir, "releases", "limited", "r-1");
  await mkdir(releaseDir, { recursive: true });
});
afterAll(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The directories a box's group has on this host (one per v1 controller, or one for v2). */
function groupDirs(name: string): Record<string, string> {
  const parent = cgroupParent();
  if (parent.version === null) throw new Error(parent.reason);
  if (parent.version === 2) return { memory: path.join(parent.dir, name) };
  return Object.fromEntries(
    Object.entries(parent.dirs).map(([c, dir]) => [c, path.join(dir, name)]),
  );
}

/** The box's name (its group's): the last part of the box directory the launcher is given. */
function boxNameOf(wrapped: Command): string {
  const spec = wrapped.args.find((arg) => arg.startsWith("{"));
  return path.basename((JSON.parse(spec!) as { boxDir: string }).boxDir);
}

async function wrapIn(
  limits: ResourceLimits | undefined,
  script: string,
  lifetime: SandboxLifetime = "step",
) {
  const box = await sandboxFor(
    "bwrap",
    { dataDir, releaseDir, project: "limited" },
    undefined,
    limits,
  );
  return box!.wrap(
    { file: "sh", args: ["-c", script], cwd: releaseDir, env: childEnv() },
    lifetime,
  );
}

/** Runs a wrapped command to its end, its output's lines in order (stdout and stderr). */
async function run(wrapped: Command, onLine: (line: string) => void = () => {}) {
  const lines: string[] = [];
  const result = await runCommand(wrapped, {
    onOutput: (_stream, chunk) =>
      forEachLine(linesText(chunk), (line) => {
        lines.push(line);
        onLine(line);
      }),
    timeoutMs: 30_000,
  });
  return { ...result, lines };
}

/** Host processes whose command line starts with `sleep <marker>`. */
async function sleepsMarked(marker: string): Promise<number> {
  let found = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.startsWith(`sleep\0${marker}`)) found++;
  }
  return found;
}

it.each(["step", "release"] as const)(
  "runs a normal command (a %s) under the default limits, in its own group with those limits set, and removes the group",
  async (lifetime) => {
    // The box sees no cgroup filesystem: it cannot lift its own limits.
    const wrapped = await wrapIn(
      undefined,
      "ls /sys/fs/cgroup 2>/dev/null && echo sees cgroups; echo ready; read answer; echo got $answer",
      lifetime,
    );
    const dirs = groupDirs(boxNameOf(wrapped));
    const child = execa(wrapped.file, wrapped.args, {
      cwd: wrapped.cwd,
      env: wrapped.env,
      extendEnv: false,
      stdin: "pipe",
      all: true,
      reject: false,
    });
    await new Promise<void>((resolve) =>
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve()),
    );
    const read = (controller: string, file: string) =>
      readFile(path.join(dirs[controller]!, file), "utf8").then((text) => text.trim());
    if (cgroupParent().version === 1) {
      expect(await read("memory", "memory.limit_in_bytes")).toBe(
        String(DEFAULT_LIMITS.memoryBytes),
      );
      expect(await read("pids", "pids.max")).toBe(String(DEFAULT_LIMITS.pids));
      expect(await read("cpu", "cpu.shares")).toBe(String(DEFAULT_LIMITS.cpuShares));
      // The whole box is inside, bwrap and all, from the host's view.
      expect((await read("pids", "cgroup.procs")).split("\n").length).toBeGreaterThanOrEqual(3);
    } else {
      expect(await read("memory", "memory.max")).toBe(String(DEFAULT_LIMITS.memoryBytes));
      expect(await read("memory", "pids.max")).toBe(String(DEFAULT_LIMITS.pids));
    }
    child.stdin!.end("yes\n");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.all).toBe("ready\ngot yes");
    for (const dir of Object.values(dirs)) expect(existsSync(dir)).toBe(false);
  },
);

it("kills a build that allocates past its memory limit, says so naming the limit, and classifies it OUT_OF_MEMORY", async () => {
  const hog =
    'node -e "const kept = []; for (let i = 1; i <= 40; i++) { kept.push(Buffer.alloc(10 * 1024 * 1024, 1)); console.log(\\"allocated\\", i * 10, \\"MiB\\"); }; console.log(\\"all 400 MiB\\")"';
  const wrapped = await wrapIn({ ...DEFAULT_LIMITS, memoryBytes: 128 * MiB }, hog);
  const dirs = groupDirs(boxNameOf(wrapped));
  const result = await run(wrapped);
  expect(result.exitCode).not.toBe(0);
  expect(result.lines).toContain("allocated 10 MiB");
  expect(result.lines).not.toContain("all 400 MiB");
  expect(result.lines.at(-1)).toBe("box: out of memory: killed at the 128 MiB limit");
  const classified = await classifyLog({
    step: "build",
    exitCode: result.exitCode,
    signal: result.signal,
    log: result.lines,
  });
  expect(classified.code).toBe("OUT_OF_MEMORY");
  expect(classified.evidence.map((e) => e.text)).toContain(
    "box: out of memory: killed at the 128 MiB limit",
  );
  for (const dir of Object.values(dirs)) expect(existsSync(dir)).toBe(false);
});

it("stops a fork bomb at the process limit without harming the host, and removes the group", async () => {
  const mark = `${5000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
  const wrapped = await wrapIn(
    { ...DEFAULT_LIMITS, pids: 32 },
    `i=0; while [ $i -lt 100 ]; do sleep ${mark} & i=$((i+1)); done; echo all 100 started; wait`,
  );
  const dirs = groupDirs(boxNameOf(wrapped));
  const result = await run(wrapped);
  expect(result.exitCode).not.toBe(0);
  expect(result.lines.join("\n")).toMatch(/Cannot fork|Resource temporarily unavailable/);
  expect(result.lines).not.toContain("all 100 started");
  // What did start ends with the box; the host forks as before.
  await waitFor("the box's sleeps to end", async () => (await sleepsMarked(mark)) === 0, 10_000);
  expect(
    (await execa("sh", ["-c", "for i in 1 2 3 4 5 6 7 8; do true & done; wait; echo ok"])).stdout,
  ).toBe("ok");
  for (const dir of Object.values(dirs)) expect(existsSync(dir)).toBe(false);
});

it("removes a killed launcher's empty group left behind, and no group in use", async () => {
  const parent = cgroupParent();
  if (parent.version === null) throw new Error(parent.reason);
  const parents = parent.version === 2 ? [parent.dir] : Object.values(parent.dirs);
  const left = "0000deadbeef0000";
  const fresh = "0000feedface0000";
  for (const dir of parents) {
    await mkdir(path.join(dir, left), { recursive: true });
    await mkdir(path.join(dir, fresh), { recursive: true });
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(path.join(dir, left), longAgo, longAgo);
  }
  try {
    const result = await run(await wrapIn(undefined, "echo done"));
    expect(result).toMatchObject({ exitCode: 0, lines: ["done"] });
    for (const dir of parents) {
      expect(existsSync(path.join(dir, left))).toBe(false);
      // Empty but new: a box about to enter it.
      expect(existsSync(path.join(dir, fresh))).toBe(true);
    }
  } finally {
    // Ours to remove, the shared parent too once empty (it may sit in this process's own group).
    for (const dir of parents) {
      for (const name of [left, fresh]) await rmdir(path.join(dir, name)).catch(() => {});
      await rmdir(dir).catch(() => {});
    }
  }
});

it("keeps the shared parent's CPU weight at the sum of its boxes' own (v1), as boxes come and go", async () => {
  const parent = cgroupParent();
  if (parent.version === null) throw new Error(parent.reason);
  // v1: the boxes' parent sits in the launcher's own cpu group. This process moves into a cpu
  // group of its own first, so the boxes of other tests and workers on the host are elsewhere.
  const cpuRoot = parent.version === 1 ? path.dirname(parent.dirs.cpu) : null;
  const own = cpuRoot && path.join(cpuRoot, `coduck-test-${process.pid}`);
  if (cpuRoot && own) {
    await mkdir(own);
    await writeFile(path.join(own, "cgroup.procs"), String(process.pid));
  }
  const boxesParent = () => {
    const now = cgroupParent();
    if (now.version === null) throw new Error(now.reason);
    return now.version === 2 ? now.dir : now.dirs.cpu;
  };
  const file = parent.version === 2 ? "cpu.weight" : "cpu.shares";
  const weight = () =>
    readFile(path.join(boxesParent(), file), "utf8").then((text) => Number(text.trim()));
  const start = async (limits: ResourceLimits) => {
    const wrapped = await wrapIn(limits, "echo ready; read answer; echo got $answer");
    const child = execa(wrapped.file, wrapped.args, {
      cwd: wrapped.cwd,
      env: wrapped.env,
      extendEnv: false,
      stdin: "pipe",
      all: true,
      reject: false,
    });
    await new Promise<void>((resolve) =>
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve()),
    );
    return { child, name: boxNameOf(wrapped) };
  };
  try {
    const a = await start(DEFAULT_LIMITS);
    if (parent.version === 1) {
      expect(boxesParent()).toBe(path.join(own!, "coduck"));
      expect(await weight()).toBe(1024);
    }
    const b = await start({ ...DEFAULT_LIMITS, cpuShares: 512 });
    if (parent.version === 1) {
      // Two boxes weigh two boxes against the rest of the host: 1024 + 512, not one 1024.
      expect(await weight()).toBe(1536);
    } else {
      // v2: beside whole slices at the root, the parent keeps its default weight.
      expect(await weight()).toBe(100);
    }
    a.child.stdin!.end("yes\n");
    expect((await a.child).all).toBe("ready\ngot yes");
    if (parent.version === 1) expect(await weight()).toBe(512);
    b.child.stdin!.end("yes\n");
    expect((await b.child).all).toBe("ready\ngot yes");
    // The last box removed the parent with its own group.
    if (parent.version === 1) expect(existsSync(boxesParent())).toBe(false);
  } finally {
    if (cpuRoot && own) {
      // Back where it was, with every thread (and any child started meanwhile).
      await rmdir(path.join(own, "coduck")).catch(() => {});
      await waitFor(
        "the test's cpu group to empty",
        async () => {
          const tasks = (await readFile(path.join(own, "tasks"), "utf8")).split("\n");
          for (const task of tasks.filter(Boolean))
            await writeFile(path.join(cpuRoot, "tasks"), task).catch(() => {});
          return rmdir(own).then(
            () => true,
            () => false,
          );
        },
        10_000,
      );
    }
  }
});
