import { readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// The host answers on every address of its local routing table, also on an interface that is
// up without a carrier (docker0 with no container, a VPN's tun between sessions), which Node's
// os.networkInterfaces() leaves out. A hostile build connects to such an address, where a
// service listening on every interface (the worker's HTTP port, as in production) waits.
/** How long a deploy here may take to end. */
const DEPLOY_WAIT = 240_000;
/** A test's own limit: its deploys' waits, and time for the rest. */
const TIMEOUT = DEPLOY_WAIT + 60_000;
const LINK = "cdk-nocarrier";
const ADDRESS = "10.213.7.1";
let stack: TestStack;
let everywhere: net.Server;
/** Whether this machine let the test make the interface (root, iproute2): else it is skipped. */
let made = false;

beforeAll(async () => {
  await execa("ip", ["link", "del", LINK], { reject: false });
  const steps = [
    ["link", "add", LINK, "type", "veth", "peer", "name", `${LINK}-p`],
    ["addr", "add", `${ADDRESS}/24`, "dev", LINK],
    ["link", "set", LINK, "up"],
  ];
  made = true;
  for (const args of steps)
    if ((await execa("ip", args, { reject: false })).exitCode !== 0) made = false;
  stack = await createTestStack({ SANDBOX: "bwrap" });
  await stack.startWorker();
  everywhere = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.end("host service\n");
  });
  await new Promise<void>((resolve) => everywhere.listen(0, "0.0.0.0", resolve));
}, TIMEOUT);
afterAll(async () => {
  everywhere?.close();
  await stack?.close();
  await execa("ip", ["link", "del", LINK], { reject: false });
});

const REACH = `
import net from "node:net";
import { writeFileSync } from "node:fs";
const socket = net.connect({ host: process.env.REACH_HOST, port: Number(process.env.REACH_PORT), timeout: 3000 });
const done = (result) => { writeFileSync("reach.json", JSON.stringify(result)); socket.destroy(); };
socket.once("data", (data) => done({ ok: true, said: String(data) }));
socket.once("error", (error) => done({ ok: false, code: error.code }));
socket.once("timeout", () => done({ ok: false, code: "TIMEOUT" }));
`;

it(
  "a build cannot reach the host on an address of an interface without a carrier",
  async () => {
    if (!made) return console.warn(`skipped: could not make ${LINK} (needs root and iproute2)`);
    // The interface is what the test needs: up, its address local, Node not listing it.
    expect(Object.keys(os.networkInterfaces())).not.toContain(LINK);
    const port = (everywhere.address() as net.AddressInfo).port;
    const fromHost = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, ADDRESS, () => resolve(!!socket.destroy()));
      socket.once("error", () => resolve(false));
    });
    expect(fromHost).toBe(true);

    const repo = await fixtureRepo("node-http", {
      "reach.mjs": REACH,
      "coduck.json": JSON.stringify({
        build: "node scripts/build.js && node reach.mjs",
        env: { REACH_HOST: ADDRESS, REACH_PORT: String(port) },
      }),
    });
    const id = await stack.deploy({ project: "no-carrier", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id, DEPLOY_WAIT);
    expect({ status: record.status, steps: record.steps }).toMatchObject({ status: "succeeded" });
    const releaseDir = path.join(stack.config.dataDir, "releases", "no-carrier", `${id}-1`);
    const reach = JSON.parse(await readFile(path.join(releaseDir, "reach.json"), "utf8"));
    expect(reach).toEqual({ ok: false, code: "EACCES" });
  },
  TIMEOUT,
);
