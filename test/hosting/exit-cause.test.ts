import { execFileSync } from "node:child_process";
import { symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { outOfMemoryLine } from "../../src/exec/resource-limits.js";
import { exitCause } from "../../src/hosting/exit-cause.js";
import { readLogTail } from "../../src/hosting/release-log-tail.js";
import { tempDir } from "../helpers/temp-dir.js";

const exited = (code: number) => ({ code, signal: null, text: `exit status ${code}` });

describe("the cause of a live release's exit", () => {
  it("is a documented failure its log names", async () => {
    const log = 'listening\nerror: relation "users" does not exist\n';
    expect(await exitCause(log, exited(1))).toEqual({
      code: "RELATION_DOES_NOT_EXIST",
      evidence: 'error: relation "users" does not exist',
    });
  });

  it("is OUT_OF_MEMORY, naming the limit, when its box killed it at its memory limit", async () => {
    const line = outOfMemoryLine({ memoryBytes: 128 * 1024 * 1024, pids: 64, cpuShares: 1024 });
    const cause = await exitCause(`listening\n${line}\n`, exited(137));
    expect(cause).toEqual({ code: "OUT_OF_MEMORY", evidence: line });
  });

  it("is START_CRASHED with the error's line when the log names no cause", async () => {
    const log =
      "listening\nfile:///app/server.js:9\nError: boom\n    at Server.<anonymous> (file:///app/server.js:9:11)\n\nNode.js v20.20.2\n";
    expect(await exitCause(log, exited(1))).toEqual({
      code: "START_CRASHED",
      evidence: "Error: boom",
    });
  });

  it("is START_CRASHED with how it ended when the log shows nothing", async () => {
    expect(await exitCause("listening\n", exited(0))).toEqual({
      code: "START_CRASHED",
      evidence: "the app's process ended: exit status 0",
    });
  });
});

describe("readLogTail", () => {
  it("reads the last bytes from the first whole line", async () => {
    const file = path.join(await tempDir("coduck-tail-"), "release.log");
    await writeFile(file, "first line\nsecond line\nthird\n");
    expect(await readLogTail(file, 1024)).toBe("first line\nsecond line\nthird\n");
    expect(await readLogTail(file, 15)).toBe("third\n");
  });

  it("reads nothing through a link, from a FIFO, or from a missing file", async () => {
    const dir = await tempDir("coduck-tail-");
    const secret = path.join(dir, "secret");
    await writeFile(secret, "not the release's\n");
    await symlink(secret, path.join(dir, "linked.log"));
    expect(await readLogTail(path.join(dir, "linked.log"), 1024)).toBe("");
    execFileSync("mkfifo", [path.join(dir, "fifo.log")]);
    expect(await readLogTail(path.join(dir, "fifo.log"), 1024)).toBe("");
    expect(await readLogTail(path.join(dir, "missing.log"), 1024)).toBe("");
  });
});
