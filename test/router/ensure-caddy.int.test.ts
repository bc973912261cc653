import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureCaddy, type OwnCaddy } from "../../src/router/ensure-caddy.js";
import { listRoutes } from "../../src/router/list-routes.js";
import { setRoute } from "../../src/router/set-route.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { waitFor } from "../helpers/wait-for.js";
import { alive, freePort, getWithHost, stopTestCaddy } from "./caddy-fixture.js";

const running: OwnCaddy[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const caddy of running.splice(0)) await stopTestCaddy(caddy);
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}, 30_000);

async function routerDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-caddy-ensure-"));
  dirs.push(dir);
  return path.join(dir, "router");
}

test("two callers at once start one Caddy", async () => {
  const dir = await routerDir();
  const httpPort = await freePort();
  const both = await Promise.all([
    ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" }),
    ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" }),
  ]);
  running.push(both[0]);
  expect(both.map((caddy) => caddy.started).sort()).toEqual([false, true]);
  for (const caddy of both) expect(await caddy.client.get("/config/admin")).toBeTruthy();
  expect(await getWithHost(httpPort, "x.apps.test")).toMatchObject({ status: 404 });
}, 30_000);

test("an autosave cut short is set aside and Caddy starts from the bootstrap", async () => {
  const dir = await routerDir();
  const httpPort = await freePort();
  const first = await ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" });
  await setRoute(first.client, { project: "p", host: "p.apps.test", upstream: "127.0.0.1:9" });
  const pid = Number((await readFile(first.files.pid, "utf8")).trim());
  process.kill(pid, "SIGKILL");
  await waitFor("the killed Caddy to go", () => !alive(pid), 10_000);
  const saved = await readFile(first.files.autosave, "utf8");
  await writeFile(first.files.autosave, saved.slice(0, saved.length / 2));

  const again = await ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" });
  running.push(again);
  expect(again.started).toBe(true);
  expect(await listRoutes(again.client)).toEqual([]);
  expect(await getWithHost(httpPort, "p.apps.test")).toMatchObject({ status: 404 });
  const kept = await readdir(path.dirname(first.files.autosave));
  expect(kept.filter((name) => name.startsWith("autosave.json.unreadable-"))).toHaveLength(1);
}, 30_000);

test("a Caddy that cannot start says why, and a good autosave is left where it is", async () => {
  const dir = await routerDir();
  const httpPort = await freePort();
  const first = await ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" });
  await setRoute(first.client, { project: "p", host: "p.apps.test", upstream: "127.0.0.1:9" });
  const pid = Number((await readFile(first.files.pid, "utf8")).trim());
  await stopCaddy(first.client);
  await waitFor("the stopped Caddy to go", () => !alive(pid), 10_000);
  const saved = await readFile(first.files.autosave, "utf8");
  // A graceful stop keeps the routes for the next start.
  expect(saved).toContain('"coduck-p"');
  // Someone else now holds the HTTP port.
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen(httpPort, "127.0.0.1", resolve));
  try {
    await expect(ensureCaddy(dir, { httpPort, listenHost: "127.0.0.1" })).rejects.toThrow(
      /address already in use/,
    );
    expect(await readFile(first.files.autosave, "utf8")).toBe(saved);
  } finally {
    await new Promise((resolve) => squatter.close(resolve));
  }
}, 30_000);
