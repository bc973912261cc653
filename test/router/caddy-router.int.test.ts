import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { assertRoute } from "../../src/router/assert-route.js";
import type { CaddyClient } from "../../src/router/caddy-client.js";
import { ensureCaddy, type OwnCaddy } from "../../src/router/ensure-caddy.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { removeRoute } from "../../src/router/remove-route.js";
import { InvalidRouteError } from "../../src/router/route-names.js";
import { setRoute } from "../../src/router/set-route.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { waitFor } from "../helpers/wait-for.js";
import { alive, type FakeRelease, fakeRelease, freePort, getWithHost } from "./caddy-fixture.js";

const DOMAIN = "apps.test";
let dir: string;
let httpPort: number;
let caddy: OwnCaddy;
let client: CaddyClient;
let a: FakeRelease;
let b: FakeRelease;

const host = (slug: string) => `${slug}.${DOMAIN}`;

beforeAll(async () => {
  // Not tempDir: its removal runs before this file's afterAll, and Caddy runs from here.
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-caddy-"));
  httpPort = await freePort();
  caddy = await ensureCaddy(path.join(dir, "router"), { httpPort, listenHost: "127.0.0.1" });
  client = caddy.client;
  [a, b] = await Promise.all([fakeRelease("A"), fakeRelease("B")]);
}, 30_000);

afterAll(async () => {
  const pid = await readPid();
  if (client) await stopCaddy(client);
  if (pid) await waitFor("our Caddy to exit", () => !alive(pid), 15_000);
  await Promise.all([a?.close(), b?.close()]);
  await rm(dir, { recursive: true, force: true });
}, 30_000);

async function readPid(): Promise<number | undefined> {
  const text = await readFile(caddy.files.pid, "utf8").catch(() => "");
  return Number(text.trim()) || undefined;
}

test("ensureCaddy starts one Caddy, private to its directory, and reuses it", async () => {
  expect(caddy.started).toBe(true);
  const again = await ensureCaddy(caddy.files.dir, { httpPort, listenHost: "127.0.0.1" });
  expect(again.started).toBe(false);
  const { stat } = await import("node:fs/promises");
  expect((await stat(caddy.files.dir)).mode & 0o777).toBe(0o700);
  expect(await getWithHost(httpPort, host("nobody"))).toEqual({
    status: 404,
    body: "no app at this address\n",
  });
}, 30_000);

test("a route answers for its host, and another host gets the 404", async () => {
  expect(await setRoute(client, { project: "one", host: host("one"), upstream: a.upstream })).toBe(
    "added",
  );
  expect(await getWithHost(httpPort, host("one"))).toEqual({ status: 200, body: "A" });
  expect(await getWithHost(httpPort, host("two"))).toMatchObject({ status: 404 });
  expect(await setRoute(client, { project: "one", host: host("one"), upstream: a.upstream })).toBe(
    "unchanged",
  );
  const ours = await listRoutes(client);
  expect(ours).toContainEqual({ project: "one", host: host("one"), upstream: a.upstream });
  // The catch-all stays last.
  const routes = (await client.get("/config/apps/http/servers/coduck/routes")) as {
    "@id"?: string;
  }[];
  expect(routes.at(-1)?.["@id"]).toBe("coduck_not_found");
}, 20_000);

test("nothing unvalidated reaches the config", async () => {
  const bad = [
    { project: "Bad", host: "Bad.apps.test", upstream: a.upstream },
    { project: "ok", host: "other.apps.test", upstream: a.upstream },
    { project: "ok", host: "ok.apps.test", upstream: "10.0.0.1:80" },
    { project: "ok", host: 'ok.apps.test"', upstream: a.upstream },
    { project: "../x", host: "x.apps.test", upstream: a.upstream },
  ];
  for (const spec of bad) await expect(setRoute(client, spec)).rejects.toThrow(InvalidRouteError);
  await expect(removeRoute(client, "a/../../config")).rejects.toThrow(InvalidRouteError);
}, 20_000);

// Every change through the admin API reloads Caddy's whole config: the old server answers the
// requests in flight (with Connection: close) and closes its idle keep-alive connections.
// autocannon pipelines its next request without waiting for either, so now and then one is
// written into a connection Caddy is closing and reset before any answer (ECONNRESET). That is
// the one failure allowed here, and only as a few per switch: a reset needs one of the 8
// connections to be between requests at the reload, which a loaded machine makes likelier
// (11 resets in 10 switches were seen once in CI, about one in 15 switches on a quiet one). A
// 502, a timeout, a wrong body or any other error fails the test. Releases that go live by
// link rename (zero-downtime.int.test.ts) change no config and are held to zero.
test("switching the upstream 10 times under a steady load: every answer is 200 from A or B", async () => {
  const project = "busy";
  await setRoute(client, { project, host: host(project), upstream: a.upstream });
  const bodies = new Map<string, number>();
  let finish!: (result: autocannon.Result) => void;
  const finished = new Promise<autocannon.Result>((resolve) => (finish = resolve));
  const run = autocannon(
    {
      url: `http://127.0.0.1:${httpPort}/`,
      headers: { host: host(project) },
      connections: 8,
      duration: 50,
      verifyBody: (raw) => {
        const body = String(raw);
        bodies.set(body, (bodies.get(body) ?? 0) + 1);
        return body === "A" || body === "B";
      },
    },
    (error, result) => {
      if (error) throw error;
      finish(result);
    },
  );
  const requestErrors: string[] = [];
  run.on("reqError", (error: NodeJS.ErrnoException) =>
    requestErrors.push(error.code ?? error.message),
  );
  await waitFor("load through Caddy", () => (bodies.get("A") ?? 0) > 50, 10_000);
  for (let swap = 1; swap <= 10; swap++) {
    const next = swap % 2 === 1 ? b : a;
    const before = next.served;
    expect(await setRoute(client, { project, host: host(project), upstream: next.upstream })).toBe(
      "switched",
    );
    await waitFor(
      `release ${next.name} to get traffic (swap ${swap})`,
      () => next.served > before + 20,
      10_000,
    );
  }
  run.stop();
  const result = await finished;
  expect({
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
  }).toEqual({ timeouts: 0, non2xx: 0, mismatches: 0 });
  expect(requestErrors.filter((code) => code !== "ECONNRESET")).toEqual([]);
  expect(result.errors).toBe(requestErrors.length);
  expect(result.errors).toBeLessThanOrEqual(2 * 10);
  expect(result.requests.total).toBeGreaterThan(500);
  expect([...bodies.keys()].sort()).toEqual(["A", "B"]);
}, 90_000);

test("removing a route: its host gets the 404, and removing again is no error", async () => {
  await setRoute(client, { project: "gone", host: host("gone"), upstream: b.upstream });
  expect(await getWithHost(httpPort, host("gone"))).toEqual({ status: 200, body: "B" });
  expect(await removeRoute(client, "gone")).toBe(true);
  expect(await getWithHost(httpPort, host("gone"))).toMatchObject({ status: 404 });
  expect((await listRoutes(client)).map((route) => route.project)).not.toContain("gone");
  expect(await removeRoute(client, "gone")).toBe(false);
}, 20_000);

test("assertRoute makes one project's route what is wanted and leaves a foreign server and route alone", async () => {
  const foreignPort = await freePort();
  await client.post("/config/apps/http/servers/foreign", {
    listen: [`127.0.0.1:${foreignPort}`],
    automatic_https: { disable: true },
    routes: [{ handle: [{ handler: "static_response", body: "foreign" }] }],
  });
  const foreignRoute = {
    "@id": "ops-health",
    match: [{ host: ["ops.example"] }],
    handle: [{ handler: "static_response", body: "ops" }],
  };
  await client.put("/config/apps/http/servers/coduck/routes/0", foreignRoute);
  await setRoute(client, { project: "stray", host: host("stray"), upstream: a.upstream });
  // A second copy of one project's route, as a crash between two writes could leave.
  await setRoute(client, { project: "one", host: host("one"), upstream: a.upstream });
  await client.put("/config/apps/http/servers/coduck/routes/0", {
    "@id": "coduck-one",
    match: [{ host: [host("one")] }],
    handle: [{ handler: "reverse_proxy", upstreams: [{ dial: a.upstream }] }],
  });
  const present = async (project: string) =>
    (await listRoutes(client)).filter((route) => route.project === project);
  expect(await present("one")).toHaveLength(2);

  const one = { project: "one", host: host("one"), upstream: b.upstream };
  const fresh = { project: "fresh", host: host("fresh"), upstream: a.upstream };
  expect(await assertRoute(client, "one", one, await present("one"))).toBe("switched");
  expect(await assertRoute(client, "fresh", fresh, await present("fresh"))).toBe("added");
  expect(await assertRoute(client, "stray", null, await present("stray"))).toBe("removed");
  expect(await present("one")).toEqual([one]);
  expect(await getWithHost(httpPort, host("one"))).toEqual({ status: 200, body: "B" });
  expect(await getWithHost(httpPort, host("fresh"))).toEqual({ status: 200, body: "A" });
  expect(await getWithHost(httpPort, host("stray"))).toMatchObject({ status: 404 });
  expect(await getWithHost(foreignPort, "anything")).toEqual({ status: 200, body: "foreign" });
  expect(await getWithHost(httpPort, "ops.example")).toEqual({ status: 200, body: "ops" });
  // Again: nothing to do. A stale listing (the route changed since it was read) is read again.
  expect(await assertRoute(client, "one", one, await present("one"))).toBe("unchanged");
  expect(await assertRoute(client, "stray", null, [])).toBe("unchanged");
  const stale = [{ ...one, upstream: a.upstream }];
  expect(await assertRoute(client, "one", one, stale)).toBe("unchanged");
  await setRoute(client, { ...one, upstream: a.upstream });
  expect(await assertRoute(client, "one", one, [one])).toBe("unchanged"); // trusted: no request
  expect(await assertRoute(client, "one", one, stale)).toBe("switched");
  expect(await getWithHost(httpPort, host("one"))).toEqual({ status: 200, body: "B" });
  await removeRoute(client, "fresh");
  await client.delete("/config/apps/http/servers/foreign");
  await client.delete("/id/ops-health");
}, 20_000);

test("Caddy killed -9 comes back from ensureCaddy with its routes", async () => {
  await setRoute(client, { project: "durable", host: host("durable"), upstream: a.upstream });
  const before = await listRoutes(client);
  const pid = (await readPid())!;
  process.kill(pid, "SIGKILL");
  await waitFor(
    "the killed Caddy to stop answering",
    async () => "error" in (await getWithHost(httpPort, host("durable"))),
    10_000,
  );
  const again = await ensureCaddy(caddy.files.dir, { httpPort, listenHost: "127.0.0.1" });
  expect(again.started).toBe(true);
  expect(await readPid()).not.toBe(pid);
  expect(await listRoutes(again.client)).toEqual(before);
  expect(await getWithHost(httpPort, host("durable"))).toEqual({ status: 200, body: "A" });
}, 40_000);

test("switches by many deploys at once all land, though each change restarts Caddy's admin endpoint", async () => {
  // Caddy closes the admin connections it holds after every config change, a request in flight
  // on one included: a worker switching many projects at once lost some switches (socket hang
  // up), and the deploy failed after its release had gone live.
  const slugs = Array.from({ length: 12 }, (_, i) => `many-${i}`);
  for (const slug of slugs)
    await setRoute(client, { project: slug, host: host(slug), upstream: a.upstream });
  for (const release of [b, a, b]) {
    const results = await Promise.allSettled(
      slugs.map((slug) =>
        setRoute(client, { project: slug, host: host(slug), upstream: release.upstream }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
  }
  const ours = await listRoutes(client);
  for (const slug of slugs)
    expect(ours).toContainEqual({ project: slug, host: host(slug), upstream: b.upstream });
  for (const slug of slugs) await removeRoute(client, slug);
}, 60_000);
