import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jest } from "@jest/globals";
import { ensureSupervisord } from "../../src/supervision/ensure-supervisord.js";
import type { SupervisorClient } from "../../src/supervision/supervisor-client.js";
import { waitFor } from "../helpers/wait-for.js";
import { answers, isAlive, shutDown } from "./supervisord-under-test.js";

jest.setTimeout(60_000);

const ENSURE = fileURLToPath(
  new URL("../../src/supervision/ensure-supervisord.ts", import.meta.url),
);

// Each test's own supervisord, in its own directory, shut down and removed at the end.
const supervisords = new Map<string, SupervisorClient>();

/** A new directory for a supervisord (short: a unix socket path must fit 107 bytes). */
async function freshDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), "coduck-sv-"));
}

/** ensureSupervisord, remembering the supervisord for the teardown. */
async function ensure(dir: string): Promise<SupervisorClient> {
  const client = await ensureSupervisord(dir);
  supervisords.set(dir, client);
  return client;
}

afterAll(async () => {
  await Promise.all([...supervisords].map(([dir, client]) => shutDown(client, dir)));
});

/** The pids of the supervisords running with `conf`. */
function supervisordsWith(conf: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return argv.some((arg) => arg.endsWith("supervisord")) && argv.includes(conf);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(isAlive);
}

describe("ensureSupervisord", () => {
  it("starts one supervisord when nothing answers, then reuses it", async () => {
    const dir = await freshDir();
    process.env.CODUCK_TEST_SECRET = "worker-only";
    const client = await ensure(dir).finally(() => delete process.env.CODUCK_TEST_SECRET);
    const pid = await client.call("supervisor.getPID");
    expect(await client.call("supervisor.getState")).toEqual({
      statecode: 1,
      statename: "RUNNING",
    });

    const again = await ensure(dir);
    expect(await again.call("supervisor.getPID")).toBe(pid);
    expect(supervisordsWith(path.join(dir, "supervisord.conf"))).toEqual([pid]);

    // Its directory and socket are root's alone: the arguments it runs carry secrets.
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, "supervisor.sock"))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, "supervisord.conf"))).mode & 0o777).toBe(0o600);
    // It outlives the worker: none of the worker's environment (its secrets) goes with it.
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    expect(environ).not.toContain("CODUCK_TEST_SECRET");
    expect(environ.split("\0").filter(Boolean)).toEqual([expect.stringMatching(/^PATH=/)]);
  });

  it("starts exactly one when several processes race for it", async () => {
    const dir = await freshDir();
    const racers = await Promise.all([1, 2, 3, 4].map(() => ensure(dir)));
    const pids = await Promise.all(racers.map((client) => client.call("supervisor.getPID")));
    expect(new Set(pids).size).toBe(1);
    expect(supervisordsWith(path.join(dir, "supervisord.conf"))).toEqual([pids[0]]);
  });

  it("leaves supervisord running when the process that started it is killed with -9", async () => {
    const dir = await freshDir();
    const script = path.join(dir, "start.mts");
    await writeFile(
      script,
      `import { ensureSupervisord } from ${JSON.stringify(ENSURE)};
await ensureSupervisord(${JSON.stringify(dir)});
process.stdout.write("ready\\n");
setInterval(() => {}, 60_000);
`,
    );
    // In a process group of its own, killed whole, as a terminal or a service manager would.
    const starter = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      starter.stdout.on("data", (chunk: Buffer) => chunk.includes("ready") && resolve());
      starter.once("exit", (code) => reject(new Error(`starter exited ${code}`)));
    });
    const client = await ensure(dir);
    const pid = await client.call("supervisor.getPID");

    process.kill(-starter.pid!, "SIGKILL");
    await waitFor("the starter to be gone", () => starter.exitCode !== null || starter.signalCode);
    expect(await answers(client)).toBe(true);
    expect(await client.call("supervisor.getPID")).toBe(pid);
  });
});
