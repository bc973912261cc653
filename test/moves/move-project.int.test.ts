import { setTimeout as sleep } from "node:timers/promises";
import { jest } from "@jest/globals";
import pg from "pg";
import { openReleaseHost } from "../../src/hosting/release-host.js";
import { syncRemoteRoutes } from "../../src/hosting/remote-routes.js";
import { isRoleReadOnly } from "../../src/moves/freeze-source.js";
import { requestMove, requestMoveCleanup } from "../../src/moves/request-move.js";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { enqueueMoveStage } from "../../src/queue/move-job.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { latestProjectMove } from "../../src/store/project-moves.js";
import { onServer, queryAt } from "../helpers/databases.js";
import { fetchApp } from "../helpers/fetch-app.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { reconcileStackReleases } from "../helpers/releases.js";
import { createSecondHost, type SecondHost } from "../helpers/second-host.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { waitFor } from "../helpers/wait-for.js";
import { cli } from "../helpers/worker-process.js";

jest.setTimeout(600_000);

// A project moved between two hosts of one installation on this machine (issue 24): h1 on the
// tests' cluster, h2 on a cluster of its own (pg_createcluster), each with its PgBouncer, Caddy
// and DATA_DIR. The project's rows (and the Auth SDK's tables) go with it; its address answers
// through either host's router before and after; a move whose restore fails changes nothing.
// From its backup on, the source's database is read-only (the app reads, its writes fail);
// a failed move makes it writable again, a finished one leaves the source's copy frozen, and a
// move back onto that kept copy resets its role before restoring (the restore runs as it).
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
/** The project's role on the source (and the target: the same name). */
const roleOf = async () =>
  (
    await h1.db.project.findUniqueOrThrow({
      where: { slug: SLUG },
      select: { database: { select: { roleName: true } } },
    })
  ).database!.roleName;
/** A write as the project's own role that leaves nothing behind (no sequence used). */
const touch = (url: string) => queryAt(url, "UPDATE notes SET body = body WHERE id = 1");
/** What an app request gets: status and body (JSON or text). */
async function appRequest(stack: TestStack, method: "GET" | "POST") {
  const response = await fetchApp(`http://${SLUG}.localhost:${appsPort(stack)}/notes`, { method });
  return { status: response.status, body: await response.text() };
}
/**
 * The app's answer once its pool has reconnected: the sessions a freeze or an unfreeze ends are
 * PgBouncer's server connections, which it opens again for the next request.
 */
const settled = (stack: TestStack, method: "GET" | "POST", status: number) =>
  waitFor(
    `${method} /notes to answer ${status}`,
    async () => {
      const answer = await appRequest(stack, method);
      return answer.status === status ? answer : undefined;
    },
    30_000,
  );

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
    // Refused before anything was recorded: nothing froze.
    expect(await isRoleReadOnly(h1.config, await roleOf())).toBe(false);
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
    // Frozen by its backup stage; the failure, on h2, queued the unfreeze on h1, which ran there.
    const unfrozen = await waitForMove((m) => m.log.some((l) => l.includes("source unfrozen")));
    const freezeAt = unfrozen.log.findIndex((l) => l.includes("source frozen read-only at"));
    expect(freezeAt).toBeGreaterThan(-1);
    expect(
      unfrozen.log.findIndex((l) => l.includes("backup") && l.includes("done")),
    ).toBeGreaterThan(freezeAt);
    expect(await isRoleReadOnly(h1.config, await roleOf())).toBe(false);
    const source = await projectCredentials(h1, SLUG);
    await touch(source!.directUrl);
    // The app writes again, through PgBouncer.
    expect(JSON.parse((await settled(h1, "POST", 201)).body)).toMatchObject({ id: 4 });
    await unshared.worker.close();
    // h2's router sends the project to h1's (the heartbeat's sync), so either answers for it.
    expect(await syncRemoteRoutes(h2.config, h2.db)).toMatchObject({ refused: [] });
    for (const stack of [h1, h2])
      expect(await notesVia(stack)).toMatchObject({
        notes: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
      });
  });

  it("moves to h2 with `projects move --wait`: the source read-only meanwhile, the same rows on h2's cluster, writable there", async () => {
    // h2's worker is not running (its heartbeat is: h2 is up): the move stops once its backup
    // is done, with the source frozen, until h2's worker starts below.
    const source = (await projectCredentials(h1, SLUG))!;
    const role = await roleOf();
    const before = JSON.parse((await settled(h1, "POST", 201)).body) as { id: number };
    const open = new pg.Client({ connectionString: source.directUrl });
    open.on("error", () => {});
    await open.connect();

    const failed = (await latest())!.id;
    const moving = cli(
      ["projects", "move", SLUG, "--to", "h2", "--confirm", SLUG, "--wait"],
      h1.env,
    );
    let printed = "";
    moving.stdout?.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const frozen = await waitForMove(
      (m) => m.id !== failed && (m.stage !== "backup" || m.status !== "running"),
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the CLI printed:\n${printed}`);
    });
    expect({ status: frozen.status, stage: frozen.stage }).toEqual({
      status: "running",
      stage: "restore",
    });
    expect(frozen.log.join("\n")).toMatch(
      /source frozen read-only at \d{4}-\d\d-\d\dT[\d:.]+Z: \S+ on h1 refuses writes until the move ends \(\d+ session\(s\) ended; reads go on\)/,
    );
    // The session opened before the freeze was ended; new ones read, and may not write.
    await expect(open.query("SELECT 1")).rejects.toThrow();
    await open.end().catch(() => {});
    await expect(touch(source.directUrl)).rejects.toThrow(
      /cannot execute UPDATE in a read-only transaction/,
    );
    expect(await queryAt(source.directUrl, "SELECT max(id)::int AS id FROM notes")).toEqual([
      { id: before.id },
    ]);
    // The app, through PgBouncer: reads work, writes fail with Postgres' read-only error.
    const read = await settled(h1, "GET", 200);
    expect(JSON.parse(read.body).notes).toContainEqual(expect.objectContaining({ id: before.id }));
    const refused = await appRequest(h1, "POST");
    expect(refused).toMatchObject({
      status: 500,
      body: expect.stringMatching(/read-only transaction/),
    });
    expect(await isRoleReadOnly(h1.config, role)).toBe(true);

    await h2.startWorker({ BACKUP_DIR: h1.config.backups.dir });
    const result = await moving;
    const move = (await latest())!;
    expect({ status: move.status, stage: move.stage, error: move.error }).toEqual({
      status: "moved",
      stage: "routes",
      error: null,
    });
    expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.any(String),
    });
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      `queued move ${move.id} of ${SLUG} from h1 to h2: backup on h1, restore on h2, deploy on h2, routes on h1`,
    );
    expect(lines[1]).toMatch(
      /^ {2}from the backup on, mover's database on h1 is read-only: its app keeps reading, its writes fail .* until the move ends; a failed move makes it writable again$/,
    );
    expect(lines).toEqual(expect.arrayContaining(["  restore…", "  deploy…"]));
    expect(lines.at(-1)).toBe(
      `${move.id} h1 -> h2: moved; source database ${move.fromDatabase} kept (read-only) on h1 until --cleanup`,
    );
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
    // Every row, the one written just before the freeze the last.
    expect(
      await queryAt(onH2!.directUrl, "SELECT count(*)::int AS n, max(id) AS last FROM notes"),
    ).toEqual([{ n: before.id, last: before.id }]);
    // The target's role was provisioned on its own cluster: not frozen (pg_dump carries no
    // role settings), its sessions write.
    expect(await isRoleReadOnly(h2.config, role)).toBe(false);
    expect(await queryAt(onH2!.directUrl, "SHOW default_transaction_read_only")).toEqual([
      { default_transaction_read_only: "off" },
    ]);
    await touch(onH2!.directUrl);
    // The source's copy stays frozen: it must not diverge from the target's.
    expect(await isRoleReadOnly(h1.config, role)).toBe(true);
    await expect(touch(source.directUrl)).rejects.toThrow(/read-only transaction/);
    expect(
      await queryAt(
        onH2!.directUrl,
        "SELECT u.email, u.role::text, s.id AS session FROM auth_users u JOIN auth_sessions s ON s.user_id = u.id",
      ),
    ).toEqual([{ email: "ada@example.com", role: "admin", session: "s1" }]);
    // Served from h2's release, through either router, at the same address.
    for (const stack of [h1, h2]) expect(await notesVia(stack)).toEqual(JSON.parse(read.body));
    const written = await fetchApp(`http://${SLUG}.localhost:${appsPort(h1)}/notes`, {
      method: "POST",
    });
    expect(written.status).toBe(201);
    expect(await queryAt(onH2!.directUrl, "SELECT count(*)::int AS n FROM notes")).toEqual([
      { n: before.id + 1 },
    ]);
    // The source's copy is kept until the confirmed cleanup.
    expect(await databasesOnMain()).toContain(move.fromDatabase);

    // h1's release reconcile (every minute in a worker) takes only h1's projects: the old
    // release of the moved project is stopped and removed there, and no local route comes back.
    const previous = move.log.find((line) => line.includes("switched:"))!;
    const oldRelease = /\(was ([0-9a-f-]{36}) on h1\)/.exec(previous)![1]!;
    const reconciled = await reconcileStackReleases(h1);
    expect(reconciled).toMatchObject({ started: [], removed: [oldRelease] });
    expect(reconciled.routes.added).toEqual([]);
    expect(
      (await listRoutes((await openReleaseHost(h1.config)).router)).map((r) => r.project),
    ).toEqual([]);
    for (const stack of [h1, h2])
      expect(await notesVia(stack)).toMatchObject({ notes: expect.any(Array) });
  });

  it("moves back to h1 before any cleanup: h1's kept, frozen copy is restored into and takes writes; h2's is frozen", async () => {
    const role = await roleOf();
    const onH2 = (await projectCredentials(h2, SLUG))!;
    const [{ n }] = (await queryAt(onH2.directUrl, "SELECT count(*)::int AS n FROM notes")) as [
      { n: number },
    ];
    expect(await isRoleReadOnly(h1.config, role)).toBe(true);
    await requestMove(moveDeps(), { project: SLUG, to: "h1", confirm: SLUG, requestedBy: "test" });
    const move = await waitForMove((m) => m.toHostId === "h1" && m.status !== "running");
    expect({ status: move.status, error: move.error }).toEqual({ status: "moved", error: null });
    expect(move.log.join("\n")).toMatch(/source frozen read-only at .*: \S+ on h2 refuses writes/);
    expect(await hostOf()).toBe("h1");
    // The restore stage reset the role on h1 (the restore replays as that role): it writes.
    expect(await isRoleReadOnly(h1.config, role)).toBe(false);
    const onH1 = (await projectCredentials(h1, SLUG))!;
    expect(await queryAt(onH1.directUrl, "SELECT count(*)::int AS n FROM notes")).toEqual([{ n }]);
    await touch(onH1.directUrl);
    expect(JSON.parse((await settled(h1, "POST", 201)).body)).toMatchObject({ id: n + 1 });
    // h2's copy is the source's now: frozen until its cleanup.
    expect(await isRoleReadOnly(h2.config, role)).toBe(true);
    await expect(touch(onH2.directUrl)).rejects.toThrow(/read-only transaction/);
    // An unfreeze of a move that succeeded (queued by hand, say) leaves it frozen.
    await enqueueMoveStage(h1.queues, "h2", move.id, "unfreeze");
    const job = `move-${move.id}-unfreeze`;
    await waitFor("the stray unfreeze to end", async () =>
      (await h1.queues.deploy("h2").getJobState(job)) === "completed" ? true : undefined,
    );
    expect((await h1.queues.deploy("h2").getJob(job))?.returnvalue).toBe("already-ended");
    expect(await isRoleReadOnly(h2.config, role)).toBe(true);
  });

  it("the confirmed cleanup drops the source's database and role on the source (h2) only", async () => {
    await expect(
      requestMoveCleanup(moveDeps(), { project: SLUG, confirm: "nope" }),
    ).rejects.toThrow(/--confirm mover/);
    const queued = await requestMoveCleanup(moveDeps(), { project: SLUG, confirm: SLUG });
    expect(queued.on).toBe("h2");
    const move = await waitForMove((m) => m.cleanupStatus !== "queued");
    expect({ cleanup: move.cleanupStatus, error: move.cleanupError }).toEqual({
      cleanup: "done",
      error: null,
    });
    expect(await h2.cluster.databases()).not.toContain(move.fromDatabase);
    expect(await databasesOnMain()).toContain(move.fromDatabase);
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
