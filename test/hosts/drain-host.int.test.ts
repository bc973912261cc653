import { PassThrough } from "node:stream";
import { jest } from "@jest/globals";
import { listHostsCommand } from "../../src/cli/hosts.js";
import { drainHostCommand } from "../../src/cli/hosts-drain.js";
import { getHost, placeProject, projectsOnHost } from "../../src/store/hosts.js";
import { addProject } from "../../src/store/projects.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

// `hosts drain H` (issue 24): H takes no new projects and prints the move of each project still
// there; `--move --confirm H --wait` moves each to another host that is up, and reports (and
// keeps) what cannot be moved. Two real hosts: h1 on the tests' cluster, h2 on its own
// (pg_createcluster), sharing the worker database, Redis and BACKUP_DIR. One deploy, one move.
jest.setTimeout(600_000);

const TOKEN = "drain-host-test-admin-token-0123456789";
const DEPLOYED = "drained";
const UNDEPLOYED = "never-deployed";
let h1: TestStack;
let h2: SecondHost;

beforeAll(async () => {
  h1 = await createTestStack({ HOST_ID: "h1", ADMIN_TOKEN: TOKEN }, { pgbouncer: {} });
  h2 = await createSecondHost(h1, { hostId: "h2" });
  await h1.startWorker();
}, 180_000);
afterAll(async () => {
  await h2?.close();
  await h1?.close();
}, 180_000);

/** Runs `hosts drain h1 …` as the CLI does, in this process: its exit code and output. */
async function drain(options: Parameters<typeof drainHostCommand>[2]) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  const code = await drainHostCommand(h1.config, "h1", options, out);
  return { code, out: Buffer.concat(chunks).toString() };
}
const onH1 = async () => (await projectsOnHost(h1.db, "h1")).map((p) => p.slug);
const intentOf = async (id: string) => (await getHost(h1.db, id, h1.config.host.downAfterMs))!;

describe("draining a host", () => {
  it("has a deployed project and one never deployed on h1", async () => {
    const repo = await fixtureRepo("node-http");
    const deployed = await h1.waitForEnd(
      await h1.deploy({ project: DEPLOYED, repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: deployed.status, errorCode: deployed.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const other = await fixtureRepo("node-http");
    await addProject(h1.db, h1.keyring, { slug: UNDEPLOYED, repoUrl: other.dir, branch: "main" });
    expect(await placeProject(h1.db, UNDEPLOYED, "h1")).toBe("h1");
    expect(await onH1()).toEqual([DEPLOYED, UNDEPLOYED]);
  });

  it("refuses bad input and a --move with no other host up, changing nothing", async () => {
    await expect(drain({ move: true })).rejects.toThrow(
      "must be confirmed with the host's id (--confirm h1); nothing was changed",
    );
    await expect(drain({ move: true, confirm: "h2" })).rejects.toThrow(/--confirm h1/);
    await expect(drain({ wait: true })).rejects.toThrow("--confirm and --wait go with --move");
    await expect(drainHostCommand(h1.config, "h9", {}, new PassThrough())).rejects.toThrow(
      "no host h9; the registered hosts are h1, h2",
    );
    // h2's worker has not started: h2 is down, so there is nowhere to move to.
    await expect(drain({ move: true, confirm: "h1" })).rejects.toThrow(
      "cannot move the projects of h1: no other host is up with room: h2 down (its worker never started); nothing was changed",
    );
    expect((await intentOf("h1")).state).toBe("up");
  });

  it("plain drain stops placement and prints the move of each project, or why it cannot move", async () => {
    await h2.startWorker({ BACKUP_DIR: h1.config.backups.dir });
    const drained = await drain({});
    expect(drained.code).toBe(0);
    expect(drained.out.split("\n")).toEqual([
      "host h1 is draining: no new projects are placed there; its 2 projects stay and keep deploying there until moved:",
      `  coduck-worker projects move ${DEPLOYED} --to h2 --confirm ${DEPLOYED}`,
      `  ${UNDEPLOYED}: no live release, so it cannot be moved (a move deploys the live release's commit): deploy it first, or delete it`,
      "or all at once: coduck-worker hosts drain h1 --move --confirm h1",
      "",
    ]);
    expect((await intentOf("h1")).state).toBe("draining");
    expect(await onH1()).toEqual([DEPLOYED, UNDEPLOYED]);
  });

  it("--move --wait moves the deployed project to h2, reports the other, which stays; hosts list shows what is left", async () => {
    const drained = await drain({ move: true, confirm: "h1", wait: true });
    expect(drained.out).toContain("host h1 is draining: no new projects are placed there\n");
    expect(drained.out).toMatch(new RegExp(`queued move [0-9a-f-]{36} of ${DEPLOYED}: h1 -> h2\n`));
    expect(drained.out).toContain(
      `not moved: ${UNDEPLOYED}: project ${UNDEPLOYED} has no live release`,
    );
    expect(drained.out).toContain(`moved: ${DEPLOYED} now lives on h2\n`);
    expect(drained.out).toContain("1 moved, 0 failed, 1 not moved: 1 project left on h1\n");
    // Not every project moved: non-zero, as a script draining a host needs to see.
    expect(drained.code).toBe(1);
    expect(await onH1()).toEqual([UNDEPLOYED]);
    expect((await projectsOnHost(h1.db, "h2")).map((p) => p.slug)).toEqual([DEPLOYED]);
    // Served from h2 now, through h1's router as well as h2's.
    for (const stack of [h1, h2]) {
      const response = await fetchApp(
        `http://${DEPLOYED}.localhost:${stack.config.releases.appsHttpPort}/`,
      );
      expect(response.status).toBe(200);
    }

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (chunk: Buffer) => chunks.push(chunk));
    await listHostsCommand(h1.config, {}, out);
    const listed = Buffer.concat(chunks).toString();
    expect(listed).toMatch(/^h1\s+draining\s+1\/500 projects/m);
    expect(listed).toMatch(/^h2\s+up\s+1\/500 projects/m);
    // The dashboard's host table says the same.
    const app = await buildTestApp(h1);
    try {
      const page = await app.inject({
        url: "/admin",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(
        /<td>h1<\/td>\s*<td><span class="status host-draining">draining<\/span><\/td>\s*<td>1\/500<\/td>/,
      );
    } finally {
      await app.close();
    }
  });
});
