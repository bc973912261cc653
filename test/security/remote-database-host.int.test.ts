import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// Postgres on another machine (DIRECT_DATABASE_HOST), as with a managed database: here a network
// namespace holding 10.215.0.2, whose port 5432 leads to the host's Postgres (which, as in these
// tests, trusts every connection from 127.0.0.1: any role, the superuser too). The box's bridge
// at 127.0.0.1:5433 admits only the project's role and database; a hostile build connects to
// the server itself, through slirp4netns, to take any other.
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 240_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
const NS = "cdk-remote";
const HOST_SIDE = "10.215.0.1";
const REMOTE = "10.215.0.2";
let stack: TestStack | undefined;
const relays: ChildProcess[] = [];
let made = false;

async function ip(...args: string[]): Promise<boolean> {
  return (await execa("ip", args, { reject: false })).exitCode === 0;
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

beforeAll(async () => {
  await ip("netns", "del", NS);
  await ip("link", "del", "cdk-r0");
  made =
    (await ip("netns", "add", NS)) &&
    (await ip("link", "add", "cdk-r0", "type", "veth", "peer", "name", "cdk-r1", "netns", NS)) &&
    (await ip("addr", "add", `${HOST_SIDE}/24`, "dev", "cdk-r0")) &&
    (await ip("link", "set", "cdk-r0", "up")) &&
    (await ip("-n", NS, "addr", "add", `${REMOTE}/24`, "dev", "cdk-r1")) &&
    (await ip("-n", NS, "link", "set", "cdk-r1", "up")) &&
    (await ip("-n", NS, "link", "set", "lo", "up"));
  if (!made) return;
  // remote 10.215.0.2:5432 → host 10.215.0.1:15432 → 127.0.0.1:5432
  relays.push(
    spawn("socat", [`TCP-LISTEN:15432,bind=${HOST_SIDE},fork,reuseaddr`, "TCP:127.0.0.1:5432"]),
    spawn("ip", [
      "netns",
      "exec",
      NS,
      "socat",
      `TCP-LISTEN:5432,bind=${REMOTE},fork,reuseaddr`,
      `TCP:${HOST_SIDE}:15432`,
    ]),
  );
  for (let i = 0; i < 50 && !(await tcpOpen(REMOTE, 5432)); i++) await sleep(100);
  stack = await createTestStack({ SANDBOX: "bwrap", DIRECT_DATABASE_HOST: REMOTE });
  await stack.startWorker();
}, TIMEOUT);
afterAll(async () => {
  await stack?.close();
  for (const relay of relays) relay.kill();
  await ip("link", "del", "cdk-r0");
  await ip("netns", "del", NS);
});

const REACH = `
import net from "node:net";
import { writeFileSync } from "node:fs";
const socket = net.connect({ host: process.env.REACH_HOST, port: 5432, timeout: 3000 });
const done = (result) => { writeFileSync("reach.json", JSON.stringify(result)); socket.destroy(); };
socket.once("connect", () => done({ ok: true }));
socket.once("error", (error) => done({ ok: false, code: error.code }));
socket.once("timeout", () => done({ ok: false, code: "TIMEOUT" }));
`;

it(
  "a build cannot reach the project's database server on another machine but through its bridge",
  async () => {
    if (!made || !stack)
      return console.warn(`skipped: could not make ${NS} (needs root, iproute2)`);
    expect(await tcpOpen(REMOTE, 5432)).toBe(true);
    const repo = await fixtureRepo("node-http", {
      "reach.mjs": REACH,
      "coduck.json": JSON.stringify({
        build: "node scripts/build.js && node reach.mjs",
        env: { REACH_HOST: REMOTE },
      }),
    });
    const id = await stack.deploy({ project: "remote-db", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id, DEPLOY_WAIT);
    expect({ status: record.status, steps: record.steps }).toMatchObject({ status: "succeeded" });
    const releaseDir = path.join(stack.config.dataDir, "releases", "remote-db", `${id}-1`);
    const reach = JSON.parse(await readFile(path.join(releaseDir, "reach.json"), "utf8"));
    expect(reach).toEqual({ ok: false, code: "EACCES" });
  },
  TIMEOUT,
);
