import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.js";
import { HOP_HEADER } from "../../src/router/coduck-server.js";
import { ensureCaddy, type OwnCaddy } from "../../src/router/ensure-caddy.js";
import { assertRemoteRoutes } from "../../src/router/remote-route.js";
import { setRoute } from "../../src/router/set-route.js";
import { freePort, stopTestCaddy } from "../router/caddy-fixture.js";

// What a request crossing the mesh between two hosts' routers carries (several-hosts.md, "The
// mesh between routers"; SECURITY.md): the client's request as it came — its cookie and
// Authorization header included, in clear — with X-Coduck-Hop, which the target removes, and
// Caddy's X-Forwarded-* headers, in which the target sees the forwarding router as the client.
const DOMAIN = "apps.test";
const APP = `mesh.${DOMAIN}`;
/** The client's own loopback address, unlike the 127.0.0.1 the routers dial from. */
const CLIENT_ADDRESS = "127.0.0.2";

type Router = { caddy: OwnCaddy; port: number };
let dir: string;
let h1: Router;
let h2: Router;
let app: http.Server;
const seen: { headers: http.IncomingHttpHeaders; from: string | undefined }[] = [];

async function router(name: string): Promise<Router> {
  const port = await freePort();
  const caddy = await ensureCaddy(path.join(dir, name), {
    httpPort: port,
    listenHost: "127.0.0.1",
  });
  return { caddy, port };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-mesh-"));
  [h1, h2] = [await router("h1"), await router("h2")];
  app = http.createServer((request, response) => {
    seen.push({ headers: request.headers, from: request.socket.remoteAddress });
    response.end("app");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  // The app lives on h2; h1 proxies its address to h2's router, as the heartbeat's sync does.
  const upstream = `127.0.0.1:${(app.address() as { port: number }).port}`;
  await setRoute(h2.caddy.client, { project: "mesh", host: APP, upstream });
  await assertRemoteRoutes(
    h1.caddy.client,
    [{ project: "mesh", host: APP, hostId: "h2", address: `127.0.0.1:${h2.port}` }],
    "h1",
  );
}, 40_000);
afterAll(async () => {
  for (const r of [h1, h2]) if (r) await stopTestCaddy(r.caddy);
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
  await rm(dir, { recursive: true, force: true });
}, 40_000);

/** A GET of the app's address at `port`, from CLIENT_ADDRESS, with `headers`. */
function get(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      {
        host: "127.0.0.1",
        port,
        localAddress: CLIENT_ADDRESS,
        path: "/",
        headers: { host: APP, ...headers },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
  });
}

test("the app on h2 gets the client's request through h1: its credentials in clear, no hop header, h1 as its client", async () => {
  seen.length = 0;
  const sent = { cookie: "session=s3cret", authorization: "Bearer app-user-token" };
  expect(await get(h1.port, sent)).toBe(200);
  const [{ headers, from }] = seen as [(typeof seen)[0]];
  expect(headers).toMatchObject({ host: APP, ...sent });
  expect(headers[HOP_HEADER.toLowerCase()]).toBeUndefined();
  // h2's Caddy does not trust h1's X-Forwarded-For: the app sees h1's address, not the client's.
  expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
  expect(headers["x-forwarded-host"]).toBe(APP);
  expect(headers["x-forwarded-proto"]).toBe("http");
  expect(from).toBe("127.0.0.1");
  // Nothing else is added on the way: the headers are the client's, and Caddy's forwarding ones.
  expect(Object.keys(headers).sort()).toEqual(
    ["accept-encoding", "authorization", "connection", "cookie", "host", "user-agent"]
      .filter((name) => name in headers)
      .concat(["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"])
      .sort(),
  );

  // Straight to h2 (one hop), the app sees the client's own address.
  seen.length = 0;
  expect(await get(h2.port, {})).toBe(200);
  expect(seen[0]!.headers["x-forwarded-for"]).toBe(CLIENT_ADDRESS);
});

test("a request to h1 that says it was forwarded already is not forwarded again: only routers may send the hop header", async () => {
  seen.length = 0;
  expect(await get(h1.port, { [HOP_HEADER]: "h9" })).toBe(404);
  expect(seen).toEqual([]);
});

test("HOST_ADDRESS is host:port: an https:// address (TLS between routers) is refused at start", () => {
  for (const address of ["https://10.0.0.12:443", "http://10.0.0.12:8080"])
    expect(() => loadConfig({ HOST_ADDRESS: address })).toThrow(
      "HOST_ADDRESS: expected host:port, for example 10.0.0.12:8080",
    );
});
