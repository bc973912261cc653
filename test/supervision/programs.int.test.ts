import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { jest } from "@jest/globals";
import { freePort } from "../../src/releases/free-port.js";
import { defineProgram } from "../../src/supervision/define-program.js";
import { ensureSupervisord } from "../../src/supervision/ensure-supervisord.js";
import type { ProgramSpec } from "../../src/supervision/program-spec.js";
import {
  listPrograms,
  type ProgramState,
  programState,
} from "../../src/supervision/program-state.js";
import { removeProgram } from "../../src/supervision/remove-program.js";
import type { SupervisorClient } from "../../src/supervision/supervisor-client.js";
import { tempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { isAlive, shutDown } from "./supervisord-under-test.js";

jest.setTimeout(90_000); // supervisord's backoff runs in whole seconds

// A release: answers HTTP on its port with its greeting and pid, and says so on stderr.
const SERVER = `
const http = require("node:http");
http.createServer((_, res) => res.end(process.env.GREETING + " " + process.pid))
  .listen(Number(process.argv[2]), "127.0.0.1", () => console.error("listening on " + process.argv[2]));
`;
// Writes what it received to a file, then stays up.
const DUMP = `
require("node:fs").writeFileSync(process.argv[2], JSON.stringify({ args: process.argv.slice(3), env: process.env }));
setInterval(() => {}, 60_000);
`;

let dir: string; // supervisord's directory
let work: string; // the releases' directory: scripts and logs
let client: SupervisorClient;
let webPort: number; // the first release's, asked for again after the reboot

beforeAll(async () => {
  // Not tempDir's: that one is removed before afterAll could reach supervisord's socket in it.
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-sv-"));
  work = await tempDir("coduck-release-");
  await writeFile(path.join(work, "server.cjs"), SERVER);
  await writeFile(path.join(work, "dump.cjs"), DUMP);
  client = await ensureSupervisord(dir);
});

afterAll(async () => {
  await shutDown(client, dir);
});

function spec(name: string, file: string, args: string[], env: Record<string, string> = {}) {
  return {
    name,
    command: { file, args, cwd: work, env },
    logFile: path.join(work, "logs", `${name}.log`),
    logMaxBytes: 1_000_000,
    logBackups: 2,
    startSecs: 1,
    startRetries: 2,
    stopWaitSecs: 5,
  } satisfies ProgramSpec;
}

const node = (name: string, args: string[], env?: Record<string, string>) =>
  spec(name, process.execPath, args, env);

/** The program's state once `ready` holds for it. */
function stateWhen(name: string, what: string, ready: (s: ProgramState) => boolean) {
  return waitFor(
    `${name} ${what}`,
    async () => {
      const state = await programState(client, name);
      return state !== null && ready(state) ? state : undefined;
    },
    30_000,
  );
}

async function get(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/`)).text();
}

describe("release programs under supervisord", () => {
  it("runs a release that serves HTTP, its stderr in its log, its files private", async () => {
    const port = await freePort();
    webPort = port;
    await defineProgram(
      client,
      dir,
      node("web", [path.join(work, "server.cjs"), String(port)], { GREETING: "hello" }),
    );
    const running = await stateWhen("web", "running", (s) => s.state === "RUNNING");
    expect(await get(port)).toBe(`hello ${running.pid}`);
    expect(running.startedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await waitFor("the log line", async () =>
      (await readFile(path.join(work, "logs", "web.log"), "utf8")).includes(`listening on ${port}`),
    );

    const programs = path.join(dir, "programs");
    expect((await stat(programs)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(programs, "web.sh"))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(programs, "web.conf"))).mode & 0o777).toBe(0o600);
    expect((await listPrograms(client)).map((p) => p.name)).toContain("web");
  });

  it("leaves a running program alone when defined again the same, and replaces it when changed", async () => {
    const port = await freePort();
    const first = node("greeter", [path.join(work, "server.cjs"), String(port)], { GREETING: "a" });
    await defineProgram(client, dir, first);
    const { pid } = await stateWhen("greeter", "running", (s) => s.state === "RUNNING");
    await defineProgram(client, dir, first);
    expect(await get(port)).toBe(`a ${pid}`);

    await defineProgram(client, dir, {
      ...first,
      command: { ...first.command, env: { GREETING: "b" } },
    });
    const replaced = await stateWhen(
      "greeter",
      "running anew",
      (s) => s.state === "RUNNING" && s.pid !== pid,
    );
    expect(isAlive(pid!)).toBe(false);
    expect(await get(port)).toBe(`b ${replaced.pid}`);
  });

  it("restarts a release that exits after it started (a new pid, RUNNING again)", async () => {
    await defineProgram(
      client,
      dir,
      node("crasher", ["-e", "setTimeout(() => process.exit(3), 1500)"]),
    );
    const first = await stateWhen("crasher", "running", (s) => s.state === "RUNNING");
    const again = await stateWhen(
      "crasher",
      "running again",
      (s) => s.state === "RUNNING" && s.pid !== first.pid,
    );
    expect(again.stoppedAt!.getTime()).toBeGreaterThanOrEqual(first.startedAt!.getTime());
    expect(isAlive(first.pid!)).toBe(false);
  });

  it("gives up on a release that dies at once: FATAL after its start retries", async () => {
    await defineProgram(client, dir, spec("doomed", "/bin/sh", ["-c", "echo dying; exit 1"]));
    const fatal = await stateWhen("doomed", "FATAL", (s) => s.state === "FATAL");
    expect(fatal.pid).toBeNull();
    expect(fatal.spawnErr).toMatch(/Exited too quickly/);
    // The first start and its two retries (startRetries: 2), each in the log.
    const log = await readFile(path.join(work, "logs", "doomed.log"), "utf8");
    expect(log.match(/dying/g)).toHaveLength(3);
  });

  it("passes hostile arguments and values to the release exactly, through supervisord", async () => {
    const out = path.join(work, "received.json");
    const args = ["'", "$(id)", "`id`", "%(here)s", "a\nb", "--", "\"'\\", "🦆 %s ; # x", ""];
    const env = { Q: "'\"$HOME`id`", P: "100%", N: "line\nbreak", E: "" };
    await defineProgram(
      client,
      dir,
      node("hostile", [path.join(work, "dump.cjs"), out, ...args], env),
    );
    await stateWhen("hostile", "running", (s) => s.state === "RUNNING");
    // Read until whole: the release may be between creating the file and writing it.
    const received = await waitFor("the dump", () =>
      readFile(out, "utf8")
        .then((text) => JSON.parse(text) as unknown)
        .catch(() => undefined),
    );
    expect(received).toEqual({ args, env });
  });

  it("removes a program: stopped, gone from supervisord and from disk; removing again is fine", async () => {
    await defineProgram(client, dir, node("leaving", ["-e", "setInterval(() => {}, 60000)"]));
    const { pid } = await stateWhen("leaving", "running", (s) => s.state === "RUNNING");
    await removeProgram(client, dir, "leaving");
    expect(await programState(client, "leaving")).toBeNull();
    expect(isAlive(pid!)).toBe(false);
    await expect(stat(path.join(dir, "programs", "leaving.conf"))).rejects.toThrow();
    await expect(stat(path.join(dir, "programs", "leaving.sh"))).rejects.toThrow();
    await removeProgram(client, dir, "leaving");
    expect(await programState(client, "absent")).toBeNull();
  });

  it("brings the programs back after supervisord and its programs are killed (a reboot)", async () => {
    const before = await stateWhen("web", "running", (s) => s.state === "RUNNING");
    const supervisordPid = (await client.call("supervisor.getPID")) as number;
    const programPids = (await listPrograms(client)).flatMap((p) =>
      p.pid === null ? [] : [p.pid],
    );

    process.kill(supervisordPid, "SIGKILL");
    for (const pid of programPids) process.kill(-pid, "SIGKILL"); // each runs in its own group
    await waitFor("everything to be gone", () => ![supervisordPid, ...programPids].some(isAlive));

    client = await ensureSupervisord(dir);
    expect(await client.call("supervisor.getPID")).not.toBe(supervisordPid);
    const after = await stateWhen("web", "running after the reboot", (s) => s.state === "RUNNING");
    expect(after.pid).not.toBe(before.pid);
    expect(await get(webPort)).toBe(`hello ${after.pid}`);
  });
});
