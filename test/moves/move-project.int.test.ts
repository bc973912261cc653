import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import { reconcileReleases } from "../../src/hosting/reconcile-releases.js";
import { openReleaseHost } from "../../src/hosting/release-host.js";
import { syncRemoteRoutes } from "../../src/hosting/remote-routes.js";
import { requestMove, requestMoveCleanup } from "../../src/moves/request-move.js";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { latestProjectMove } from "../../src/store/project-moves.js";
import { onServer, queryAt } from "../helpers/databases.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

jest.setTimeout(600_000);

// A project moved between two hosts of one installation on this machine (issue 24): h1 on the
// tests' cluster, h2 on a cluster of its own (pg_createcluster), each with its PgBouncer, Caddy
// and DATA_DIR. The project's rows (and the Auth SDK's tables) go with it; its address answers
// through either host's router before and after; a move whose restore fails changes nothing.
const SLUG = "mover";
let h1: TestStack;
let h2: SecondHost;

beforeAll(async () => {
  h1 = await createTestStack({ HOST_ID: "h1" }, { pgbouncer: {} });
  h2 = await createSecondHost(h1, { hostId: "h2" });
  await h1.startWorker();
}, 180_000);
afterAll(async () => {
  await h2?.close();
  await h1?.close();
}, 180_000);

const moveDeps = () => ({ db: h1.db, queues: h1.queues, downAfterMs: h1.config.host.downAfterMs });
const appsPort = (stack: TestStack) => stack.config.releases.appsHttpPort;
/** The project's notes through `stack`'s router, at the project's one address. */
async function notesVia(stack: TestStack): Promise<unknown> {
  const response = await fetchApp(`http://${SLUG}.localhost:${appsPort(stack)}/notes`);
  expect(response.status).toBe(200);
  return response.json();
}

async function waitForMove(
  done: (move: NonNullable<Awaited<ReturnType<typeof latest>>>) => boolean,
) {
  const deadline = Date.now() + 400_000;
  for (;;) {
    const move = await latest();
    if (move && done(move)) return move;
    if (Date.now() > deadline) throw new Error(`move still ${move?.status} at ${move?.stage}`);
    await sleep(250);
  }
}
async function latest() {
  const project = await h1.db.project.findUniqueOrThrow({ where: { slug: SLUG } });
  return latestProjectMove(h1.db, project.id);
}
const hostOf = async () =>
  (await h1.db.project.findUniqueOrThrow({ where: { slug: SLUG }, select: { hostId: true } }))
    .hostId;

describe("moving a project", () => {
  it("deploys on h1 with rows and the Auth SDK's tables", async () => {
    const repo = await fixtureRepo("pg-app");
    const deployed = await h1.waitForEnd(
      await h1.deploy({ project: SLUG, repoUrl: repo.dir }),
      240_000,
    );
    expect({ status: deployed.status, errorCode: deployed.errorCode }).toEqual({
      status: "succeeded",
      errorCode: null,
    });
    const url = deployed.release!.url;
    for (let i = 0; i < 3; i++)
      expect((await fetchApp(`${url}/notes`, { method: "POST" })).status).toBe(201);
    const project = await projectCredentials(h1, SLUG);
    await queryAt(
      project!.directUrl,
      `CREATE TYPE auth_role AS ENUM ('user', 'admin');
       CREATE TABLE auth_users (id text PRIMARY KEY, email text UNIQUE NOT NULL, role auth_role NOT NULL);
       CREATE TABLE auth_sessions (id text PRIMARY KEY, user_id text NOT NULL REFERENCES auth_users (id));
       INSERT INTO auth_users VALUES ('u1', 'ada@example.com', 'admin');
       INSERT INTO auth_sessions VALUES ('s1', 'u1');`,
    );
    expect(await hostOf()).toBe("h1");
  });

  it("refuses a move without the slug confirmed, to its own host, or to an unknown host", async () => {
    const base = { project: SLUG, requestedBy: "test" };
    await expect(
      requestMove(moveDeps(), { ...base, to: "h2", confirm: undefined }),
    ).rejects.toThrow(/--confirm mover/);
    await expect(requestMove(moveDeps(), { ...base, to: "h1", confirm: SLUG })).rejects.toThrow(
      /already lives on host h1/,
    );
    await expect(requestMove(moveDeps(), { ...base, to: "h9", confirm: SLUG })).rejects.toThrow(
      /no host h9/,
    );
    // h2's worker has not started: h2 is down.
    await expect(requestMove(moveDeps(), { ...base, to: "h2", confirm: SLUG })).rejects.toThrow(
      /host h2 is down/,
    );
    expect(await latest()).toBeNull();
  });

  it("a move whose restore fails leaves the project on h1, serving through both routers", async () => {
    // h2's own BACKUP_DIR (its DATA_DIR's): it cannot read the backup h1 made, so the restore fails.
    const unshared = await h2.startWorker();
    const { moveId } = await requestMove(moveDeps(), {
      project: SLUG,
      to: "h2",
      confirm: SLUG,
      requestedBy: "test",
    });
    const move = await waitForMove((m) => m.status !== "running");
    expect(move).toMatchObject({ id: moveId, status: "failed", stage: "restore" });
    expect(move.error).toMatch(/not in this host's backup store .*BACKUP_DIR both hosts share/);
    expect(await hostOf()).toBe("h1");
    await unshared.worker.close();
    // h2's router sends the project to h1's (the heartbeat's sync), so either answers for it.
    expect(await syncRemoteRoutes(h2.config, h2.db)).toMatchObject({ refused: [] });
    for (const stack of [h1, h2])
      expect(await notesVia(stack)).toMatchObject({ notes: [{ id: 1 }, { id: 2 }, { id: 3 }] });
  });

  it("moves to h2: same rows and auth tables on h2's cluster, same address through both routers", async () => {
    await h2.startWorker({ BACKUP_DIR: h1.config.backups.dir });
    const before = await notesVia(h1);
    await requestMove(moveDeps(), { project: SLUG, to: "h2", confirm: SLUG, requestedBy: "test" });
    const move = await waitForMove((m) => m.status !== "running");
    expect({ status: move.status, stage: move.stage, error: move.error }).toEqual({
      status: "moved",
      stage: "routes",
      error: null,
    });
    expect(await hostOf()).toBe("h2");
    const live = await h1.db.project.findUniqueOrThrow({
      where: { slug: SLUG },
      select: { liveDeployment: { select: { id: true, hostId: true, trigger: true } } },
    });
    expect(live.liveDeployment).toMatchObject({
      id: move.deploymentId,
      hostId: "h2",
      trigger: "move",
    });

    // The data is on h2's cluster now, as the project's own role reads it there.
    const onH2 = await projectCredentials(h2, SLUG);
    expect(new URL(onH2!.directUrl).port).toBe(String(h2.cluster.port));
    expect(await queryAt(onH2!.directUrl, "SELECT count(*)::int AS n FROM notes")).toEqual([
      { n: 3 },
    ]);
    expect(
      await queryAt(
        onH2!.directUrl,
        "SELECT u.email, u.role::text, s.id AS session FROM auth_users u JOIN auth_sessions s ON s.user_id = u.id",
      ),
    ).toEqual([{ email: "ada@example.com", role: "admin", session: "s1" }]);
    // Served from h2's release, through either router, at the same address.
    for (const stack of [h1, h2]) expect(await notesVia(stack)).toEqual(before);
    const written = await fetchApp(`http://${SLUG}.localhost:${appsPort(h1)}/notes`, {
      method: "POST",
    });
    expect(written.status).toBe(201);
    expect(await queryAt(onH2!.directUrl, "SELECT count(*)::int AS n FROM notes")).toEqual([
      { n: 4 },
    ]);
    // The source's copy is kept until the confirmed cleanup.
    expect(await databasesOnMain()).toContain(move.fromDatabase);

    // h1's release reconcile (every minute in a worker) takes only h1's projects: the old
    // release of the moved project is stopped and removed there, and no local route comes back.
    const previous = move.log.find((line) => line.includes("switched:"))!;
    const oldRelease = /\(was ([0-9a-f-]{36}) on h1\)/.exec(previous)![1]!;
    const reconciled = await reconcileReleases(
      h1.db,
      await openReleaseHost(h1.config),
      h1.logger,
      "h1",
    );
    expect(reconciled).toMatchObject({ started: [], removed: [oldRelease] });
    expect(reconciled.routes.added).toEqual([]);
    expect(
      (await listRoutes((await openReleaseHost(h1.config)).router)).map((r) => r.project),
    ).toEqual([]);
    for (const stack of [h1, h2])
      expect(await notesVia(stack)).toMatchObject({ notes: expect.any(Array) });
  });

  it("the confirmed cleanup drops the source's database and role on h1 only", async () => {
    await expect(
      requestMoveCleanup(moveDeps(), { project: SLUG, confirm: "nope" }),
    ).rejects.toThrow(/--confirm mover/);
    const queued = await requestMoveCleanup(moveDeps(), { project: SLUG, confirm: SLUG });
    expect(queued.on).toBe("h1");
    const move = await waitForMove((m) => m.cleanupStatus !== "queued");
    expect({ cleanup: move.cleanupStatus, error: move.cleanupError }).toEqual({
      cleanup: "done",
      error: null,
    });
    expect(await databasesOnMain()).not.toContain(move.fromDatabase);
    expect(await h2.cluster.databases()).toContain(move.fromDatabase);
    for (const stack of [h1, h2])
      expect(await notesVia(stack)).toMatchObject({
        notes: expect.arrayContaining([{ id: 4, body: expect.any(String) }]),
      });
  });
});

async function databasesOnMain(): Promise<string[]> {
  return onServer(async (c) =>
    (await c.query<{ datname: string }>("SELECT datname FROM pg_database")).rows.map(
      (r) => r.datname,
    ),
  );
}
