import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { syncRemoteRoutesOn } from "../../src/hosting/remote-routes.js";
import type { CaddyClient } from "../../src/router/caddy-client.js";
import { ensureCaddy, type OwnCaddy } from "../../src/router/ensure-caddy.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { listRemoteRoutes } from "../../src/router/remote-route.js";
import { projectHost } from "../../src/router/route-names.js";
import { setRoute } from "../../src/router/set-route.js";
import { connectDb, type Db } from "../../src/store/prisma.js";
import { createTestDatabase } from "../helpers/databases.js";
import {
  type FakeRelease,
  fakeRelease,
  freePort,
  getWithHost,
  stopTestCaddy,
} from "../router/caddy-fixture.js";

// Two hosts' routers reconciled from one record: each serves its own projects' releases and
// proxies the other's projects to the other; a project moved (its hostId changed) follows.
const DOMAIN = "apps.test";
type Router = {
  id: string;
  caddy: OwnCaddy;
  client: CaddyClient;
  port: number;
  address: string;
  hostOf(slug: string): string;
  router: CaddyClient;
};
let dir: string;
let database: { url: string; drop(): Promise<void> };
let db: Db;
let h1: Router;
let h2: Router;
let r1: FakeRelease;
let r2: FakeRelease;

async function router(id: string): Promise<Router> {
  const port = await freePort();
  const caddy = await ensureCaddy(path.join(dir, id), { httpPort: port, listenHost: "127.0.0.1" });
  const address = `127.0.0.1:${port}`;
  const hostOf = (slug: string) => projectHost(slug, DOMAIN);
  return { id, caddy, client: caddy.client, router: caddy.client, port, address, hostOf };
}

const sync = (r: Router) => syncRemoteRoutesOn(r, { id: r.id, address: r.address }, db);

/** A project with a live deployment whose release listens at `release` (recorded on `hostId`). */
async function liveProject(slug: string, hostId: string | null, release: FakeRelease) {
  // Raw rows, only the columns this needs: the schema has columns of other work in flight.
  const port = Number(release.upstream.split(":")[1]);
  await db.$executeRaw`INSERT INTO "Project" (id, slug, "hostId", "updatedAt")
    VALUES (gen_random_uuid(), ${slug}, ${hostId}, now())`;
  await db.$executeRaw`INSERT INTO "Deployment" (id, "projectId", "repoUrl", ref, status, "hostId", "releasePort")
    SELECT gen_random_uuid(), id, '/r', 'main', 'succeeded', ${hostId}, ${port} FROM "Project" WHERE slug = ${slug}`;
  await db.$executeRaw`UPDATE "Project" p SET "liveDeploymentId" = d.id
    FROM "Deployment" d WHERE d."projectId" = p.id AND p.slug = ${slug}`;
}

async function addHost(id: string, address: string) {
  await db.$executeRaw`INSERT INTO "Host" (id, address, "maxProjects") VALUES (${id}, ${address}, 10)`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-mesh-"));
  database = await createTestDatabase();
  db = connectDb(database.url);
  [h1, h2] = [await router("h1"), await router("h2")];
  [r1, r2] = await Promise.all([fakeRelease("R1"), fakeRelease("R2")]);
  for (const r of [h1, h2]) await addHost(r.id, r.address);
}, 40_000);

afterAll(async () => {
  for (const r of [h1, h2]) if (r) await stopTestCaddy(r.caddy);
  await Promise.all([r1?.close(), r2?.close()]);
  await db?.$disconnect();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
}, 40_000);

test("each router serves its own projects and proxies the other host's", async () => {
  await liveProject("one", "h1", r1);
  await liveProject("two", "h2", r2);
  // The local routes, as each host's own reconcile sets them.
  await setRoute(h1.client, { project: "one", host: h1.hostOf("one"), upstream: r1.upstream });
  await setRoute(h2.client, { project: "two", host: h2.hostOf("two"), upstream: r2.upstream });
  expect(await sync(h1)).toMatchObject({ added: ["two"], refused: [], localRemoved: [] });
  expect(await sync(h2)).toMatchObject({ added: ["one"], refused: [] });
  for (const r of [h1, h2]) {
    expect(await getWithHost(r.port, h1.hostOf("one"))).toEqual({ status: 200, body: "R1" });
    expect(await getWithHost(r.port, h1.hostOf("two"))).toEqual({ status: 200, body: "R2" });
  }
  expect(await sync(h1)).toMatchObject({ added: [], switched: [], removed: [] });
}, 30_000);

test("a project moved to h2: h1 drops its local route and proxies it, h2 serves it", async () => {
  // The target's release of "one" (here the same stand-in) is routed locally on h2 by its deploy.
  await setRoute(h2.client, { project: "one", host: h2.hostOf("one"), upstream: r1.upstream });
  await db.$executeRaw`UPDATE "Project" SET "hostId" = 'h2' WHERE slug = 'one'`;
  expect(await sync(h1)).toMatchObject({ added: ["one"], localRemoved: ["one"] });
  expect(await sync(h2)).toMatchObject({ removed: ["one"] });
  expect((await listRoutes(h1.client)).map((r) => r.project)).toEqual([]);
  expect((await listRemoteRoutes(h2.client)).map((r) => r.project)).toEqual([]);
  for (const r of [h1, h2])
    expect(await getWithHost(r.port, h1.hostOf("one"))).toEqual({ status: 200, body: "R1" });
}, 30_000);

test("a host whose address is this host's own or a release's port is refused, not routed", async () => {
  await addHost("h3", h1.address);
  await addHost("h4", r1.upstream);
  await liveProject("loop", "h3", r2);
  await liveProject("leak", "h4", r2);
  // The same ports spelled as other names of this machine's loopback.
  const port = r1.upstream.slice(r1.upstream.lastIndexOf(":") + 1);
  await addHost("h5", `127.0.0.2:${port}`);
  await addHost("h6", `localhost:${port}`);
  await addHost("h7", h1.address.replace(/^[^:]+/, "0.0.0.0"));
  await liveProject("alias", "h5", r2);
  await liveProject("named", "h6", r2);
  await liveProject("any", "h7", r2);
  // r1's port is a release of h1 (project "one"'s recorded deployment had hostId h1).
  const synced = await sync(h1);
  expect(synced.refused.map((r) => r.project).sort()).toEqual([
    "alias",
    "any",
    "leak",
    "loop",
    "named",
  ]);
  expect((await listRemoteRoutes(h1.client)).map((r) => r.project).sort()).toEqual(["one", "two"]);
  expect(await getWithHost(h1.port, h1.hostOf("leak"))).toMatchObject({ status: 404 });
}, 30_000);
