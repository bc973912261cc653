import { DEPLOY_STEP_NAMES } from "../../src/pipeline/step-names.js";
import { createDeployment } from "../../src/store/deployments.js";
import {
  addHost,
  adoptUnplaced,
  chooseHost,
  ensureProjectHost,
  type HostIdentity,
  heartbeatHost,
  listHosts,
  PlacementError,
  placementFor,
  registerHost,
  reportedHostState,
  setHostIntent,
} from "../../src/store/hosts.js";
import type { Db } from "../../src/store/prisma.js";
import { inTransaction } from "../../src/store/sql-transaction.js";
import { connectTestDatabase } from "../helpers/databases.js";

// Hosts in the record: registration and heartbeat, the state everything reports, placement.

const DOWN_AFTER_MS = 30_000;
let db: Db;
let closeDatabase: () => Promise<void>;

const identity = (id: string, maxProjects = 10): HostIdentity => ({
  id,
  address: `127.0.0.1:${8000 + id.length}`,
  maxProjects,
});
const self = { ...identity("self"), downAfterMs: DOWN_AFTER_MS };
const choose = (requested?: string) =>
  inTransaction(db, (sql) => chooseHost(sql, placementFor(self, requested)));

/** Makes a host's last heartbeat `secondsAgo` old (Postgres' clock, as the heartbeat uses). */
async function heartbeatAgo(id: string, secondsAgo: number) {
  await db.$executeRaw`UPDATE "Host" SET "heartbeatAt" = (now() AT TIME ZONE 'UTC') - make_interval(secs => ${secondsAgo}) WHERE id = ${id}`;
}

async function project(slug: string): Promise<string> {
  const { id } = await db.project.create({ data: { slug, repoUrl: "/x" }, select: { id: true } });
  return id;
}

beforeAll(async () => {
  ({ db, close: closeDatabase } = await connectTestDatabase());
});
afterAll(async () => {
  await closeDatabase?.();
});
beforeEach(async () => {
  await db.project.deleteMany({});
  await db.host.deleteMany({});
});

describe("reported state", () => {
  it("is up or draining while the heartbeat is fresh, down past HOST_DOWN_AFTER_SECONDS (since its last heartbeat), down when it never sent one", () => {
    const at = new Date("2026-12-07T03:00:00Z");
    expect(reportedHostState({ state: "up", heartbeatAt: at }, 1_000, DOWN_AFTER_MS)).toEqual({
      state: "up",
      downSince: null,
    });
    expect(
      reportedHostState({ state: "draining", heartbeatAt: at }, 1_000, DOWN_AFTER_MS).state,
    ).toBe("draining");
    expect(
      reportedHostState({ state: "draining", heartbeatAt: at }, 31_000, DOWN_AFTER_MS),
    ).toEqual({ state: "down", downSince: at });
    expect(reportedHostState({ state: "up", heartbeatAt: null }, null, DOWN_AFTER_MS)).toEqual({
      state: "down",
      downSince: null,
    });
  });

  it("comes from the record: a registered host is up, its capacity and measures listed; a stale heartbeat makes it down, a new one up again; draining survives a restart", async () => {
    await registerHost(db, identity("h1"));
    await heartbeatHost(db, "h1", {
      diskFreeBytes: 5n * 2n ** 30n,
      memoryAvailableBytes: 2n ** 30n,
    });
    let [h1] = await listHosts(db, DOWN_AFTER_MS);
    expect(h1).toMatchObject({
      id: "h1",
      state: "up",
      intent: "up",
      maxProjects: 10,
      projects: 0,
      diskFreeBytes: 5n * 2n ** 30n,
      memoryAvailableBytes: 2n ** 30n,
      downSince: null,
    });
    await heartbeatAgo("h1", 45);
    [h1] = await listHosts(db, DOWN_AFTER_MS);
    expect(h1!.state).toBe("down");
    expect(h1!.downSince!.getTime()).toBe(h1!.heartbeatAt!.getTime());
    expect(Date.now() - h1!.downSince!.getTime()).toBeGreaterThan(40_000);
    // A longer HOST_DOWN_AFTER_SECONDS reads the same record as up.
    expect((await listHosts(db, 60_000))[0]!.state).toBe("up");
    // Its worker is back: the next heartbeat makes it up.
    await heartbeatHost(db, "h1", { diskFreeBytes: null, memoryAvailableBytes: null });
    expect((await listHosts(db, DOWN_AFTER_MS))[0]).toMatchObject({ state: "up", downSince: null });
    await setHostIntent(db, "h1", "draining", DOWN_AFTER_MS);
    await registerHost(db, identity("h1", 20));
    [h1] = await listHosts(db, DOWN_AFTER_MS);
    expect(h1).toMatchObject({ state: "draining", intent: "draining", maxProjects: 20 });
    await expect(setHostIntent(db, "nope", "up", DOWN_AFTER_MS)).rejects.toThrow(
      "no host nope; the registered hosts are h1",
    );
  });
});

describe("placement", () => {
  it("picks the up host with the lowest share of its capacity in use, ties by id; never a draining or down one", async () => {
    await registerHost(db, identity("a", 10));
    await registerHost(db, identity("b", 100));
    await registerHost(db, identity("c", 10));
    // a: 2 of 10 (0.2 in use); b: 10 of 100 (0.1); c: none.
    for (const [slug, host] of [
      ["a1", "a"],
      ["a2", "a"],
      ...Array.from({ length: 10 }, (_, i) => [`b${i}`, "b"]),
    ] as const) {
      const id = await project(slug);
      await db.project.update({ where: { id }, data: { hostId: host } });
    }
    // c is empty: it wins; draining, the next least loaded (b: 0.1 < a: 0.2).
    expect(await choose()).toBe("c");
    await setHostIntent(db, "c", "draining", DOWN_AFTER_MS);
    expect(await choose()).toBe("b");
    // Down (no heartbeat for 45 s): a, the only one left.
    await heartbeatAgo("b", 45);
    expect(await choose()).toBe("a");
    // Equal shares: by id.
    await setHostIntent(db, "c", "up", DOWN_AFTER_MS);
    const c1 = await project("c1");
    const c2 = await project("c2");
    await db.project.updateMany({ where: { id: { in: [c1, c2] } }, data: { hostId: "c" } });
    expect(await choose()).toBe("a");
  });

  it("--host: the host named, when it is up; unknown, draining or down is refused with the reason", async () => {
    await registerHost(db, identity("h1"));
    await registerHost(db, identity("h2"));
    expect(await choose("h2")).toBe("h2");
    await expect(choose("h9")).rejects.toThrow(
      new PlacementError("no host h9; the registered hosts are h1, h2"),
    );
    await heartbeatAgo("h2", 120);
    const down = choose("h2");
    await expect(down).rejects.toBeInstanceOf(PlacementError);
    await expect(down).rejects.toThrow(
      /^host h2 is down since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: a new project is placed only on a host that is up$/,
    );
    await setHostIntent(db, "h1", "draining", DOWN_AFTER_MS);
    await expect(choose("h1")).rejects.toThrow(
      "host h1 is draining: a new project is placed only on a host that is up",
    );
    // No host up at all, and more than one: nothing is guessed.
    await expect(choose()).rejects.toThrow(
      /^no host is up to place a new project on: h1 draining; h2 down since .* UTC$/,
    );
  });

  it("with no host up: the only registered host (its jobs wait for it); with none registered, this machine's HOST_ID, recorded without a heartbeat", async () => {
    expect(await choose()).toBe("self");
    const [recorded] = await listHosts(db, DOWN_AFTER_MS);
    expect(recorded).toMatchObject({ id: "self", state: "down", heartbeatAt: null });
    await db.host.deleteMany({});
    await registerHost(db, identity("only"));
    await heartbeatAgo("only", 3600);
    expect(await choose()).toBe("only");
  });

  it("a project is placed once and keeps its host: a first deploy places it, --host elsewhere is refused with the move command", async () => {
    await registerHost(db, identity("h1"));
    await registerHost(db, identity("h2"));
    const placement = placementFor(self, "h2");
    const first = await createDeployment(db, {
      project: "placed",
      repoUrl: "/x",
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
      placement,
    });
    expect(first.hostId).toBe("h2");
    // The next deploy goes where the project lives, whatever is least loaded now.
    const second = await createDeployment(db, {
      project: "placed",
      repoUrl: "/x",
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
      placement: placementFor(self),
    });
    expect(second.hostId).toBe("h2");
    expect((await db.deployment.findUniqueOrThrow({ where: { id: second.id } })).hostId).toBe("h2");
    expect(await ensureProjectHost(db, "placed", placementFor(self))).toBe("h2");
    await expect(ensureProjectHost(db, "placed", placementFor(self, "h1"))).rejects.toThrow(
      "project placed already lives on host h2; move it with: coduck-worker projects move placed --to h1 --confirm placed",
    );
    // A move's deploy on its target names its host explicitly.
    const moved = await createDeployment(db, {
      project: "placed",
      repoUrl: "/x",
      ref: "main",
      trigger: "move",
      steps: DEPLOY_STEP_NAMES,
      hostId: "h1",
    });
    expect(moved.hostId).toBe("h1");
  });

  it("a worker alone in the record adopts the projects from before hosts, with their deployments; beside another host it adopts nothing", async () => {
    const legacy = await createDeployment(db, {
      project: "legacy",
      repoUrl: "/x",
      ref: "main",
      trigger: "test",
      steps: DEPLOY_STEP_NAMES,
    });
    expect(legacy.hostId).toBeNull();
    await registerHost(db, identity("h1"));
    await addHost(db, identity("h2"));
    expect(await adoptUnplaced(db, "h1")).toBe(0);
    await db.host.delete({ where: { id: "h2" } });
    expect(await adoptUnplaced(db, "h1")).toBe(1);
    expect((await db.project.findUniqueOrThrow({ where: { slug: "legacy" } })).hostId).toBe("h1");
    expect((await db.deployment.findUniqueOrThrow({ where: { id: legacy.id } })).hostId).toBe("h1");
  });
});
