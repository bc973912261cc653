import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { OutputFile } from "../../src/exec/output-file.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { sandboxFor } from "../../src/exec/sandbox.js";
import { waitFor } from "../helpers/wait-for.js";

// Step boxes start through a launcher started ahead (src/exec/ready-launcher.ts): what a worker
// relies on is that such a launcher runs the box as a fresh one would, never outlives the worker,
// and never keeps a worker that is done from exiting.

// The built modules, as the worker runs them (npm test builds first).
const built = (module: string) =>
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/exec", module);

let dataDir: string;
let releaseDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "coduck-ready-launcher-"));
  releaseDir = path.join(dataDir, "releases", "app");
  await mkdir(releaseDir, { recursive: true });
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Launchers waiting for a box, started by `parent`. */
async function waitingLaunchers(parent: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.includes("box-launcher.js\0--request-on-stdin")) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid === parent) found.push(Number(entry));
  }
  return found;
}

/** What `work` settles with, or null if it has not within `ms`. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A node process that runs one step box (`echo boxed`) and then does `then` (script text). */
function boxRunner(then: string) {
  const script = `
    const { sandboxFor } = await import(${JSON.stringify(built("sandbox.js"))});
    const { runCommand } = await import(${JSON.stringify(built("run-command.js"))});
    const box = await sandboxFor("bwrap", { dataDir: ${JSON.stringify(dataDir)}, releaseDir: ${JSON.stringify(releaseDir)}, project: "ready" });
    const wrapped = await box.wrap({ file: "echo", args: ["boxed"], cwd: ${JSON.stringify(releaseDir)}, env: {} }, "step");
    const ended = await runCommand(wrapped, { onOutput: (_s, lines) => { process.stdout.write(lines); }, timeoutMs: 30000 });
    console.log("box ended", ended.exitCode);
    ${then}`;
  return execa("node", ["--input-type=module", "-e", script], { reject: false, buffer: true });
}

test("runs boxes one after another through launchers started ahead, each box's stdout and stderr in the order written", async () => {
  const box = (await sandboxFor("bwrap", { dataDir, releaseDir, project: "ready" }))!;
  // A pause after each pair: the order of lines written in one instant is not kept (run-command.ts).
  const script = 'for i in 1 2 3; do echo "out $i"; echo "err $i" >&2; sleep 0.1; done; exit 3';
  for (let run = 0; run < 3; run++) {
    const lines: string[] = [];
    const stdoutFile = await OutputFile.create(path.join(dataDir, `stdout-${run}`), {
      onRead: () => {},
      onUnterminated: () => {},
    });
    try {
      const wrapped = await box.wrap(
        { file: "sh", args: ["-c", script], cwd: releaseDir, env: {} },
        "step",
      );
      expect(wrapped.start).toBeDefined();
      const ended = await runCommand(wrapped, {
        onOutput: (stream, chunk) =>
          forEachLine(linesText(chunk), (line) => lines.push(`${stream}: ${line}`)),
        timeoutMs: 30_000,
        stdoutFile,
      });
      expect(ended).toMatchObject({ exitCode: 3, timedOut: false });
      expect(lines).toEqual([1, 2, 3].flatMap((i) => [`stdout: out ${i}`, `stderr: err ${i}`]));
    } finally {
      await stdoutFile.close();
    }
    // The next box's launcher is started a moment after this one was taken.
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}, 60_000);

test("a launcher waiting for a box ends with the worker that started it", async () => {
  const runner = boxRunner("console.log('ready'); setInterval(() => {}, 1000);");
  try {
    await waitFor("the runner's box", () => runner.pid !== undefined);
    const waiting = await waitFor(
      "a launcher waiting for the runner's next box",
      async () => {
        const found = await waitingLaunchers(runner.pid!);
        return found.length === 1 && found;
      },
      15_000,
    );
    runner.kill("SIGKILL");
    await runner;
    await waitFor("the waiting launcher to end", () => !alive(waiting[0]!), 10_000);
  } finally {
    runner.kill("SIGKILL");
  }
}, 30_000);

test("a launcher waiting for a box does not keep a worker that is done from exiting", async () => {
  // Waits past the moment the next launcher starts, then leaves nothing to do.
  const runner = boxRunner("setTimeout(() => console.log('done waiting'), 500);");
  const result = await within(runner, 15_000);
  runner.kill("SIGKILL");
  expect(result).not.toBeNull();
  expect(result!.stdout).toBe("boxed\nbox ended 0\ndone waiting");
  expect(result!.exitCode).toBe(0);
}, 30_000);

/** box-launcher.js started as ready-launcher.ts starts it, its stdin left open for `request`. */
function bareLauncher(idleMs: number) {
  return execa("node", [built("box-launcher.js"), "--request-on-stdin", String(idleMs)], {
    reject: false,
    stdin: "pipe",
  });
}

test("a launcher nobody takes ends by itself, quietly, once its idle time is over", async () => {
  const launcher = bareLauncher(300);
  const ended = await within(launcher, 10_000);
  launcher.kill("SIGKILL");
  expect(ended).toMatchObject({ exitCode: 0, stderr: "" });
}, 20_000);

test("a launcher writes a box's stdout only into the very file the worker asked for", async () => {
  const file = path.join(dataDir, "not-the-output");
  await writeFile(file, "");
  const { dev, ino } = await stat(file);
  const launcher = bareLauncher(10_000);
  const spec = {
    slirp4netns: "/usr/bin/slirp4netns",
    boxDir: path.join(dataDir, "run", "identity"),
    relay: null,
    bridges: [],
    publishPort: null,
    publishSocket: null,
    limits: null,
  };
  // The descriptor's number now names another file than the one it was asked for.
  launcher.stdin!.end(
    JSON.stringify({
      spec,
      bwrap: "/usr/bin/bwrap",
      bwrapArgs: ["--", "/bin/true"],
      stdout: { path: file, dev, ino: ino + 1 },
    }),
  );
  const ended = await launcher;
  expect(ended.exitCode).toBe(125);
  expect(ended.stderr).toBe(
    `box network: cannot open the box's stdout: ${file} is not the file it was when asked for`,
  );
  expect(await readFile(file, "utf8")).toBe("");
}, 20_000);

test("refuses a command with a NUL byte before any launcher sees it, leaving no box behind", async () => {
  const box = (await sandboxFor("bwrap", { dataDir, releaseDir, project: "ready" }))!;
  const wrapped = await box.wrap(
    { file: "echo", args: ["npm run build\u0000; id"], cwd: releaseDir, env: {} },
    "step",
  );
  const before = await readdir(path.join(dataDir, "run")).catch(() => []);
  await expect(runCommand(wrapped, { onOutput: () => {}, timeoutMs: 10_000 })).rejects.toThrow(
    "a command's arguments cannot hold a NUL byte",
  );
  expect(await readdir(path.join(dataDir, "run")).catch(() => [])).toEqual(before);
}, 20_000);
