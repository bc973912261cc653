import { readFile, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { networkIsolation } from "../../src/doctor/checks/network-isolation.js";
import { createDoctorContext } from "../../src/doctor/doctor-context.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// A hostile app deployed through the real worker, bubblewrap, slirp4netns, PgBouncer and
// Postgres: its install, build, preStart and release each try the host's Redis, the worker's
// HTTP port, another project's live release, Postgres and PgBouncer on the host's loopback,
// and the database bridges under another role or database (Postgres trusts every 127.0.0.1
// connection here, so any of these would be the superuser). Each phase records what happened
// (test/fixtures/apps/network-probe).
const TIMEOUT = 240_000;
const PHASES = ["install", "build", "preStart", "release"] as const;
let stack: TestStack;
let http: FastifyInstance;
/** A service on every interface of the host, as the worker's HTTP port is in production. */
let everywhere: net.Server;

beforeAll(async () => {
  stack = await createTestStack({ SANDBOX: "bwrap" }, { pgbouncer: {} });
  await stack.startWorker();
  http = await buildTestApp(stack);
  await http.listen({ port: 0, host: "127.0.0.1" });
  everywhere = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => everywhere.listen(0, "0.0.0.0", resolve));
});
afterAll(async () => {
  await http?.close();
  everywhere?.close();
  await stack?.close();
});

type Attempt = { ok: boolean; code?: string; who?: string; db?: string; message?: string };
type Report = {
  phase: string;
  tcp: Record<string, Attempt>;
  urls: { pooled: string; direct: string };
  databases: Record<string, Attempt>;
};

/** The host's own IPv4 addresses beside the loopback. */
const hostAddresses = Object.values(os.networkInterfaces())
  .flat()
  .filter((a) => a && a.family === "IPv4" && !a.internal)
  .map((a) => a!.address);

function reachableFromHost(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

it(
  "app code in every phase reaches only its own two database endpoints",
  async () => {
    const neighbourRepo = await fixtureRepo("node-http");
    const neighbour = await stack.waitForEnd(
      await stack.deploy({ project: "net-neighbour", repoUrl: neighbourRepo.dir }),
      TIMEOUT,
    );
    expect({ status: neighbour.status, steps: neighbour.steps }).toMatchObject({
      status: "succeeded",
    });
    const targets = {
      redis: 6379,
      "worker http": (http.server.address() as net.AddressInfo).port,
      "neighbour release": neighbour.release!.port,
      // The stable addresses' router: it would forward to every project's release.
      "apps router": Number(new URL(neighbour.release!.url).port),
      postgres: 5432,
      pgbouncer: stack.bouncer!.port,
      "every interface": (everywhere.address() as net.AddressInfo).port,
    };
    // Each is there to be reached from the host: refusing it is the box's doing.
    for (const port of Object.values(targets)) expect(await reachableFromHost(port)).toBe(true);
    for (const host of hostAddresses)
      expect(await reachableFromHost(targets["every interface"], host)).toBe(true);

    const repo = await fixtureRepo("network-probe", {
      "coduck.json": JSON.stringify({
        // npm ci reaches the registry from inside the box (a fresh HOME: no cache).
        install: "npm ci && node probe.js install",
        preStart: "node probe.js preStart",
        env: { NET_TARGETS: JSON.stringify(targets), NET_HOSTS: JSON.stringify(hostAddresses) },
      }),
    });
    const id = await stack.deploy({ project: "net-probe", repoUrl: repo.dir });
    const record = await stack.waitForEnd(id, TIMEOUT);
    expect({ status: record.status, error: record.errorCode, steps: record.steps }).toMatchObject({
      status: "succeeded",
    });
    const { databaseName } = await stack.db.projectDatabase.findFirstOrThrow({
      where: { project: { slug: "net-probe" } },
    });

    const releaseDir = path.join(stack.config.dataDir, "releases", "net-probe", `${id}-1`);
    const reports: Report[] = [];
    for (const phase of PHASES)
      reports.push(JSON.parse(await readFile(path.join(releaseDir, `net-${phase}.json`), "utf8")));
    // The release answers on its URL, from the host.
    const served = (await (await fetchApp(record.release!.url)).json()) as Report;
    expect(served).toEqual(reports[3]);

    for (const report of reports) {
      const reached = Object.entries(report.tcp).filter(([, attempt]) => attempt.ok);
      expect({ phase: report.phase, reached }).toEqual({ phase: report.phase, reached: [] });
      expect(Object.keys(report.tcp)).toHaveLength(
        Object.keys(targets).length * (3 + hostAddresses.length),
      );
      // preStart gets the direct URL as DATABASE_URL too (schema tools need no PgBouncer).
      const pooled = report.phase === "preStart" ? "127.0.0.1:5433" : "127.0.0.1:6432";
      expect(report.urls).toEqual({ pooled, direct: "127.0.0.1:5433" });
      const own = { ok: true, who: databaseName, db: databaseName };
      const refused = { ok: false, code: "28000" };
      expect({ phase: report.phase, ...report.databases }).toEqual({
        phase: report.phase,
        "own pooled": own,
        "own direct": own,
        "postgres role, direct": expect.objectContaining(refused),
        "postgres role, pooled": expect.objectContaining(refused),
        "own role, postgres database, direct": expect.objectContaining(refused),
        "own role, template1 database, pooled": expect.objectContaining(refused),
      });
    }
    // The bridges' sockets admit whoever reaches them as the project: only root reaches them.
    const boxes = await stat(path.join(stack.config.dataDir, "run"));
    expect([boxes.uid, boxes.mode & 0o777]).toEqual([0, 0o700]);
  },
  TIMEOUT * 2,
);

it("doctor's network-isolation check runs a box and finds the host's loopback out of its reach", async () => {
  const ctx = createDoctorContext(stack.config);
  try {
    expect(await networkIsolation.run(ctx)).toMatchObject({
      status: "ok",
      message: expect.stringContaining("the host's loopback is out of reach"),
    });
    const off = createDoctorContext({ ...stack.config, sandbox: "off" });
    expect(await networkIsolation.run(off)).toMatchObject({ status: "warn" });
    await off.close();
  } finally {
    await ctx.close();
  }
});
