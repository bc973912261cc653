import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { CaddyClient } from "../../src/router/caddy-client.js";
import { HOP_HEADER } from "../../src/router/coduck-server.js";
import { ensureCaddy, type OwnCaddy } from "../../src/router/ensure-caddy.js";
import { listRoutes } from "../../src/router/list-routes.js";
import {
  assertRemoteRoutes,
  listRemoteRoutes,
  type RemoteRouteSpec,
  removeRemoteRoute,
} from "../../src/router/remote-route.js";
import { InvalidRouteError } from "../../src/router/route-names.js";
import { setRoute } from "../../src/router/set-route.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import {
  type FakeRelease,
  fakeRelease,
  freePort,
  getWithHost,
  stopTestCaddy,
} from "./caddy-fixture.js";

// Two routers, as two hosts have them: h1's Caddy serves p1's release, h2's serves p2's; each
// proxies the other's project to the other's router, so either answers for both addresses.
const DOMAIN = "apps.test";
const host = (slug: string) => `${slug}.${DOMAIN}`;

type Router = { caddy: OwnCaddy; client: CaddyClient; port: number; address: string };
let dir: string;
let h1: Router;
let h2: Router;
let p1: FakeRelease;
let p2: FakeRelease;
let seen: http.IncomingHttpHeaders[] = [];

async function router(name: string): Promise<Router> {
  const port = await freePort();
  const caddy = await ensureCaddy(path.join(dir, name), {
    httpPort: port,
    listenHost: "127.0.0.1",
  });
  return { caddy, client: caddy.client, port, address: `127.0.0.1:${port}` };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-remote-"));
  [h1, h2] = [await router("h1"), await router("h2")];
  [p1, p2] = await Promise.all([fakeRelease("P1"), fakeRelease("P2")]);
}, 40_000);

afterAll(async () => {
  for (const r of [h1, h2]) if (r) await stopTestCaddy(r.caddy);
  await Promise.all([p1?.close(), p2?.close()]);
  await rm(dir, { recursive: true, force: true });
}, 40_000);

const remote = (project: string, hostId: string, to: Router): RemoteRouteSpec => ({
  project,
  host: host(project),
  hostId,
  address: to.address,
});

test("either router answers for a project of either host, Host header kept", async () => {
  await setRoute(h1.client, { project: "p1", host: host("p1"), upstream: p1.upstream });
  await setRoute(h2.client, { project: "p2", host: host("p2"), upstream: p2.upstream });
  expect(await assertRemoteRoutes(h1.client, [remote("p2", "h2", h2)], "h1")).toEqual({
    added: ["p2"],
    switched: [],
    removed: [],
  });
  await assertRemoteRoutes(h2.client, [remote("p1", "h1", h1)], "h2");
  for (const r of [h1, h2]) {
    expect(await getWithHost(r.port, host("p1"))).toEqual({ status: 200, body: "P1" });
    expect(await getWithHost(r.port, host("p2"))).toEqual({ status: 200, body: "P2" });
    expect(await getWithHost(r.port, `${host("p2")}:${r.port}`)).toEqual({
      status: 200,
      body: "P2",
    });
    expect(await getWithHost(r.port, host("nobody"))).toMatchObject({ status: 404 });
  }
  // The release behind the other router sees the address the client asked for, and not
  // which host passed the request on (h2's local route drops the hop header h1 set).
  const headers = await headersAt(h1.port, host("echo"));
  expect(headers.host).toBe(host("echo"));
  expect(headers[HOP_HEADER.toLowerCase()]).toBeUndefined();
  // A local route of the same host is ahead of every remote one: it wins while both exist.
  const routes = (await h1.client.get("/config/apps/http/servers/coduck/routes")) as {
    "@id"?: string;
  }[];
  expect(routes.map((r) => r["@id"])).toEqual([
    "coduck-p1",
    "coduck_remote-p2",
    "coduck_remote-echo",
    "coduck_not_found",
  ]);
  // The local reconcile's view is unchanged: remote routes are not project routes of ours.
  expect((await listRoutes(h1.client)).map((r) => r.project)).toEqual(["p1"]);
  expect(await assertRemoteRoutes(h1.client, [remote("p2", "h2", h2)], "h1")).toEqual({
    added: [],
    switched: [],
    removed: ["echo"],
  });
  expect(await assertRemoteRoutes(h1.client, [remote("p2", "h2", h2)], "h1")).toEqual({
    added: [],
    switched: [],
    removed: [],
  });
}, 30_000);

test("a project moved from h1 to h2: both routers switch, no request loops", async () => {
  // h2 routes p1 to h1 still, h1 already sends p1 to h2: the hop header stops the loop (404).
  await assertRemoteRoutes(h1.client, [remote("p2", "h2", h2), remote("p1", "h2", h2)], "h1");
  // h1's local route still wins while it exists: remove it, as the switch does.
  await h1.client.delete("/id/coduck-p1");
  expect(await getWithHost(h1.port, host("p1"))).toMatchObject({ status: 404 });
  expect(await getWithHost(h2.port, host("p1"))).toMatchObject({ status: 404 });
  // h2 learns p1 is its own: a local route, no remote one.
  await setRoute(h2.client, { project: "p1", host: host("p1"), upstream: p1.upstream });
  expect(await assertRemoteRoutes(h2.client, [], "h2")).toEqual({
    added: [],
    switched: [],
    removed: ["p1"],
  });
  for (const r of [h1, h2])
    expect(await getWithHost(r.port, host("p1"))).toEqual({ status: 200, body: "P1" });
  expect(await removeRemoteRoute(h1.client, "p1")).toBe(true);
  expect(await removeRemoteRoute(h1.client, "p1")).toBe(false);
}, 30_000);

test("a changed address replaces the route; nothing unvalidated reaches the config", async () => {
  const other = await router("h3");
  try {
    await setRoute(other.client, { project: "p2", host: host("p2"), upstream: p1.upstream });
    expect(await assertRemoteRoutes(h1.client, [remote("p2", "h3", other)], "h1")).toMatchObject({
      switched: ["p2"],
    });
    expect(await getWithHost(h1.port, host("p2"))).toEqual({ status: 200, body: "P1" });
  } finally {
    await stopCaddy(other.client);
  }
  const bad: RemoteRouteSpec[] = [
    { ...remote("p2", "h2", h2), address: "{http.request.host}:80" },
    { ...remote("p2", "h2", h2), address: "unix//tmp/x.sock" },
    { ...remote("p2", "h2", h2), address: "127.0.0.1" },
    { ...remote("p2", "h2", h2), address: "127.0.0.1:0" },
    { ...remote("p2", "h2", h2), address: "evil.example:80/path" },
    { ...remote("p2", "h2", h2), hostId: "H2" },
    { ...remote("p2", "h2", h2), host: "p2.apps.test\nx" },
    { ...remote("p2", "h2", h2), project: "../x", host: "x.apps.test" },
    remote("p2", "h1", h2), // this host itself
  ];
  for (const spec of bad)
    await expect(assertRemoteRoutes(h1.client, [spec], "h1")).rejects.toThrow(InvalidRouteError);
  await expect(assertRemoteRoutes(h1.client, [], "H1")).rejects.toThrow(InvalidRouteError);
  // Refused before anything changed.
  expect((await listRemoteRoutes(h1.client)).map((r) => r.address)).toEqual([other.address]);
}, 40_000);

/** The headers a request to `hostName` at `port` reaches its release with. */
async function headersAt(port: number, hostName: string): Promise<http.IncomingHttpHeaders> {
  const echo = http.createServer((request, response) => {
    seen.push(request.headers);
    response.end("echo");
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  const upstream = `127.0.0.1:${(echo.address() as { port: number }).port}`;
  try {
    await setRoute(h2.client, { project: "echo", host: hostName, upstream });
    await assertRemoteRoutes(
      h1.client,
      [
        remote("p2", "h2", h2),
        { project: "echo", host: hostName, hostId: "h2", address: h2.address },
      ],
      "h1",
    );
    seen = [];
    expect(await getWithHost(port, hostName)).toEqual({ status: 200, body: "echo" });
    return seen[0]!;
  } finally {
    await h2.client.delete("/id/coduck-echo");
    echo.closeAllConnections();
    await new Promise((resolve) => echo.close(resolve));
  }
}
