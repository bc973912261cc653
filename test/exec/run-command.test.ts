import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { childEnv } from "../../src/exec/child-env.js";
import { OutputFile } from "../../src/exec/output-file.js";
import { forEachLine, linesText } from "../../src/exec/output-lines.js";
import { runCommand } from "../../src/exec/run-command.js";
import { waitFor } from "../helpers/wait-for.js";

function collect() {
  const lines: string[] = [];
  const onOutput = (stream: string, bytes: Buffer) =>
    forEachLine(linesText(bytes), (line) => lines.push(`${stream}: ${line}`));
  return { lines, onOutput };
}

const sh = (script: string) => ({ file: "sh", args: ["-c", script], cwd: "/tmp", env: childEnv() });

/** Running, as opposed to gone or a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Whether the `head` of the shell command mentioning `mark` is asleep in write(2) on its stdout:
 * held up by a full pipe. (/proc/<pid>/syscall gives the syscall a sleeping task is in; write is
 * number 1 on x86-64.)
 */
function headBlockedWriting(mark: string): boolean {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("head\0")) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!readFileSync(`/proc/${ppid}/cmdline`, "utf8").includes(mark)) continue;
      const [syscall, fd] = readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ");
      if (state === "S" && syscall === "1" && fd === "0x1") return true;
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return false;
}

describe("runCommand", () => {
  it("streams stdout and stderr line by line and reports the exit code", async () => {
    const { lines, onOutput } = collect();
    const result = await runCommand(sh("echo one; echo two >&2; printf 'no newline'; exit 3"), {
      onOutput,
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ exitCode: 3, signal: null, timedOut: false, aborted: false });
    expect(lines).toEqual(
      expect.arrayContaining(["stdout: one", "stderr: two", "stdout: no newline"]),
    );
  });

  it("passes nothing of the worker's environment but what it is given", async () => {
    process.env.COD_TEST_SECRET = "worker-only";
    const { lines, onOutput } = collect();
    await runCommand(
      {
        file: "sh",
        args: ["-c", "echo secret=$COD_TEST_SECRET app=$APP_VAR"],
        cwd: "/tmp",
        env: childEnv({ APP_VAR: "yes" }),
      },
      { onOutput, timeoutMs: 10_000 },
    );
    delete process.env.COD_TEST_SECRET;
    expect(lines).toEqual(["stdout: secret= app=yes"]);
  });

  it("passes the host's trusted CAs and proxy, which a package manager needs to reach its registry", async () => {
    const saved = process.env.NODE_EXTRA_CA_CERTS;
    process.env.NODE_EXTRA_CA_CERTS = "/etc/ssl/certs/test-ca.crt";
    const { lines, onOutput } = collect();
    await runCommand(
      { file: "sh", args: ["-c", "echo ca=$NODE_EXTRA_CA_CERTS"], cwd: "/tmp", env: childEnv() },
      { onOutput, timeoutMs: 10_000 },
    );
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    expect(lines).toEqual(["stdout: ca=/etc/ssl/certs/test-ca.crt"]);
  });

  it("kills the whole process tree when the time is up", async () => {
    const { lines, onOutput } = collect();
    const started = Date.now();
    const result = await runCommand(sh("sleep 300 & echo grandchild=$!; wait"), {
      onOutput,
      timeoutMs: 500,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    // A real pid, or the check below proves nothing (alive() of NaN is false as well).
    expect(lines[0]).toMatch(/^stdout: grandchild=[1-9]\d*$/);
    const grandchild = Number(lines[0]!.split("=")[1]);
    expect(alive(process.pid)).toBe(true);
    await waitFor("the grandchild to be gone", () => !alive(grandchild), 5_000);
  });

  it("kills the process tree when aborted, even one that ignores SIGTERM", async () => {
    const { onOutput } = collect();
    const controller = new AbortController();
    setTimeout(() => controller.abort("cancel"), 300);
    const result = await runCommand(sh("trap '' TERM; sleep 300 & wait"), {
      onOutput,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    expect(result.aborted).toBe(true);
    expect(result.signal).toBe("SIGKILL");
  });

  it("rejects when the command does not exist", async () => {
    await expect(
      runCommand(
        { file: "no-such-command-xyz", args: [], cwd: "/tmp", env: childEnv() },
        {
          onOutput: () => {},
          timeoutMs: 1_000,
        },
      ),
    ).rejects.toThrow(/could not start no-such-command-xyz/);
  });
});

describe("runCommand output", () => {
  it("hands on a line the command wrote in two parts as one line", async () => {
    const { lines, onOutput } = collect();
    await runCommand(sh("printf 'first ha'; sleep 0.2; printf 'lf\\r\\nsecond\\n'"), {
      onOutput,
      timeoutMs: 10_000,
    });
    expect(lines).toEqual(["stdout: first half", "stdout: second"]);
  });
});

/** Prints 2 MB, then touches `marker`, to a sink that holds back its first lines until released. */
function printHeldBack(marker: string, stdoutFile?: OutputFile) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  let bytes = 0;
  const running = runCommand(sh(`yes 'a line of output' | head -c 2000000; touch ${marker}`), {
    onOutput: (_stream, lines) => {
      bytes += lines.length;
      return calls++ === 0 ? held : undefined;
    },
    timeoutMs: 30_000,
    stdoutFile,
  });
  return { running, release, bytes: () => bytes };
}

describe("runCommand back-pressure", () => {
  it("does not read on while the sink asks to wait, so the command blocks on its pipe", async () => {
    const marker = path.join(os.tmpdir(), `coduck-printed-${process.pid}-${Date.now()}`);
    const { running, release, bytes } = printHeldBack(marker);
    // 2 MB do not fit in a pipe: the command blocks writing, and has not got to its end.
    await waitFor("head to block on its stdout", () => headBlockedWriting(marker), 10_000);
    expect(existsSync(marker)).toBe(false);
    release();
    const result = await running;
    expect(result.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(bytes()).toBeGreaterThan(0);
    await rm(marker, { force: true });
  });

  it("still stops a command on timeout when the sink never lets it go on", async () => {
    const result = await runCommand(sh("while :; do echo line; done"), {
      onOutput: () => new Promise<void>(() => {}),
      timeoutMs: 500,
    });
    expect(result.timedOut).toBe(true);
  });
});

describe("runCommand with a stdout file", () => {
  let dir: string;
  let file: OutputFile;
  const read: Buffer[] = [];
  let unterminated = 0;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "coduck-output-file-"));
    read.length = 0;
    unterminated = 0;
    file = await OutputFile.create(path.join(dir, "out"), {
      // Valid only during the call, as the file reads into the same buffer again.
      onRead: (bytes) => read.push(Buffer.from(bytes)),
      onUnterminated: () => unterminated++,
    });
  });
  afterEach(async () => {
    await file?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("hands on stdout from the file, and a stderr line only after the stdout written before it", async () => {
    const { lines, onOutput } = collect();
    const result = await runCommand(
      sh("for i in $(seq 1 40); do echo out$i; echo err$i >&2; done; printf 'no newline'"),
      { onOutput, timeoutMs: 10_000, stdoutFile: file },
    );
    expect(result.exitCode).toBe(0);
    for (let i = 1; i <= 40; i++)
      expect(lines.indexOf(`stdout: out${i}`)).toBeLessThan(lines.indexOf(`stderr: err${i}`));
    expect(lines.filter((line) => line.startsWith("stdout:"))).toHaveLength(41);
    expect(lines.at(-1)).toBe("stdout: no newline");
    // The file holds every byte, as the reader was told, and the line left unended.
    const printed = Array.from({ length: 40 }, (_, i) => `out${i + 1}\n`).join("");
    expect(Buffer.concat(read).toString()).toBe(`${printed}no newline`);
    expect(read.reduce((sum, bytes) => sum + bytes.length, 0)).toBe(file.bytesRead);
    expect(unterminated).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it("lets the command write on while the sink asks to wait, and hands on all of it after", async () => {
    const marker = path.join(dir, "printed");
    const { running, release, bytes } = printHeldBack(marker, file);
    // The command is not held up: it has written its 2 MB and got to its end.
    for (let waited = 0; !existsSync(marker) && waited < 10_000; waited += 50) await sleep(50);
    expect(existsSync(marker)).toBe(true);
    expect(bytes()).toBeLessThan(2_000_000);
    release();
    expect((await running).exitCode).toBe(0);
    // head cut the last line short: it is handed on with its newline.
    expect(bytes()).toBe(2_000_001);
  });

  it("still stops a command on timeout when the sink never lets it go on", async () => {
    const result = await runCommand(sh("while :; do echo line; done"), {
      onOutput: () => new Promise<void>(() => {}),
      timeoutMs: 500,
      stdoutFile: file,
    });
    expect(result.timedOut).toBe(true);
  });

  it("rejects when the command does not exist, and stops reading the file", async () => {
    await expect(
      runCommand(
        { file: "coduck-no-such-command", args: [], cwd: "/tmp", env: childEnv() },
        { onOutput: () => {}, timeoutMs: 10_000, stdoutFile: file },
      ),
    ).rejects.toThrow(/could not start coduck-no-such-command/);
    const reads = jest.spyOn(file, "next");
    // Another command, read through a file of its own: its reader polls while the command
    // sleeps, so by its end a reader of `file` left running would have polled too.
    const other = await OutputFile.create(path.join(dir, "other"), {
      onRead: () => {},
      onUnterminated: () => {},
    });
    const otherReads = jest.spyOn(other, "next");
    const { lines, onOutput } = collect();
    try {
      await runCommand(sh("sleep 0.2; echo later"), {
        onOutput,
        timeoutMs: 10_000,
        stdoutFile: other,
      });
    } finally {
      await other.close();
    }
    expect(lines).toEqual(["stdout: later"]);
    expect(otherReads.mock.calls.length).toBeGreaterThan(2);
    expect(reads).not.toHaveBeenCalled();
  });

  it("appends each command's output after the last one's", async () => {
    const { lines, onOutput } = collect();
    await runCommand(sh("echo first"), { onOutput, timeoutMs: 10_000, stdoutFile: file });
    await runCommand(sh("echo second"), { onOutput, timeoutMs: 10_000, stdoutFile: file });
    expect(lines).toEqual(["stdout: first", "stdout: second"]);
    expect(Buffer.concat(read).toString()).toBe("first\nsecond\n");
    expect(unterminated).toBe(0);
  });
});

describe("runCommand with a stdout file, and a process that left the command's group", () => {
  it("ends with the command, not with whatever writes into the file after it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-output-file-"));
    const file = await OutputFile.create(path.join(dir, "out"), {
      onRead: () => {},
      onUnterminated: () => {},
    });
    const pidFile = path.join(dir, "pid");
    let done = false;
    try {
      // The sink takes its time over each read, and there is always more by then: were the file
      // read to its end, it never would be.
      const result = await runCommand(
        sh(
          // The command waits for it to have left its group: until then, the group's end would kill it.
          `setsid sh -c 'echo $$ > ${pidFile}; while :; do echo left-behind; done' 2>/dev/null & while [ ! -s ${pidFile} ]; do sleep 0.01; done; echo done`,
        ),
        {
          onOutput: (_stream, lines) => {
            done ||= lines.includes("done\n");
            return sleep(200);
          },
          timeoutMs: 10_000,
          stdoutFile: file,
        },
      );
      expect(result).toMatchObject({ exitCode: 0, timedOut: false });
      expect(done).toBe(true);
    } finally {
      for (let waited = 0; !existsSync(pidFile) && waited < 5_000; waited += 20) await sleep(20);
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      await file.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
