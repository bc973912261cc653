import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { caddyClient } from "../../src/router/caddy-client.js";
import { connectCaddy } from "../../src/router/connect-caddy.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { setRoute } from "../../src/router/set-route.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { waitFor } from "../helpers/wait-for.js";
import { alive, fakeRelease, freePort, getWithHost } from "./caddy-fixture.js";

/** An operator's Caddy: admin on TCP, one server of theirs, started from `config`. */
async function operatorCaddy(dir: string, config: (adminPort: number) => unknown) {
  const adminPort = await freePort();
  const file = path.join(dir, "operator.json");
  await writeFile(file, JSON.stringify(config(adminPort)));
  const child = spawn("caddy", ["run", "--config", file], {
    cwd: dir,
    stdio: "ignore",
    env: { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir },
  });
  const address = `127.0.0.1:${adminPort}`;
  const client = caddyClient(address);
  await waitFor(
    "the operator's Caddy",
    () =>
      client.get("/config/").then(
        () => true,
        () => false,
      ),
    10_000,
  );
  return { address, client, pid: child.pid! };
}

test("connectCaddy adds our server to an operator's Caddy over TCP and leaves theirs alone", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-caddy-operator-"));
  const [theirPort, ourPort] = [await freePort(), await freePort()];
  const release = await fakeRelease("R");
  const theirs = {
    listen: [`127.0.0.1:${theirPort}`],
    automatic_https: { disable: true },
    routes: [{ handle: [{ handler: "static_response", body: "theirs" }] }],
  };
  const operator = await operatorCaddy(dir, (adminPort) => ({
    admin: { listen: `127.0.0.1:${adminPort}` },
    apps: { http: { servers: { theirs } } },
  }));
  try {
    const options = { listen: [`127.0.0.1:${ourPort}`], automaticHttps: false };
    const client = await connectCaddy(operator.address, options);
    await connectCaddy(operator.address, options); // a second connect changes nothing
    await setRoute(client, { project: "shop", host: "shop.apps.test", upstream: release.upstream });
    expect(await listRoutes(client)).toEqual([
      { project: "shop", host: "shop.apps.test", upstream: release.upstream },
    ]);
    expect(await getWithHost(ourPort, "shop.apps.test")).toEqual({ status: 200, body: "R" });
    expect(await getWithHost(ourPort, "other.apps.test")).toMatchObject({ status: 404 });
    expect(await getWithHost(theirPort, "shop.apps.test")).toEqual({ status: 200, body: "theirs" });
    expect(await client.get("/config/apps/http/servers/theirs")).toEqual(theirs);
  } finally {
    await stopCaddy(operator.client);
    await waitFor("the operator's Caddy to exit", () => !alive(operator.pid), 15_000);
    await release.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);

test("connectCaddy on a Caddy with no config at all creates the apps it needs", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-caddy-empty-"));
  const ourPort = await freePort();
  const operator = await operatorCaddy(dir, (adminPort) => ({
    admin: { listen: `127.0.0.1:${adminPort}` },
  }));
  try {
    await connectCaddy(operator.address, {
      listen: [`127.0.0.1:${ourPort}`],
      automaticHttps: false,
    });
    expect(await getWithHost(ourPort, "any.apps.test")).toEqual({
      status: 404,
      body: "no app at this address\n",
    });
  } finally {
    await stopCaddy(operator.client);
    await waitFor("the operator's Caddy to exit", () => !alive(operator.pid), 15_000);
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);
