import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { caddyClient } from "../../src/router/caddy-client.js";
import { stopCaddy } from "../../src/router/stop-caddy.js";
import { waitFor } from "../helpers/wait-for.js";
import { alive, freePort, getWithHost } from "./caddy-fixture.js";

// The built module, as the worker runs it (npm test builds first).
const ENSURE_CADDY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../dist/src/router/ensure-caddy.js",
);

test("the Caddy that ensureCaddy starts keeps serving after its caller's process group is killed -9", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-caddy-caller-"));
  const caddyDir = path.join(dir, "router");
  const httpPort = await freePort();
  const script = `
    const { ensureCaddy } = await import(${JSON.stringify(ENSURE_CADDY)});
    await ensureCaddy(${JSON.stringify(caddyDir)}, { httpPort: ${httpPort}, listenHost: "127.0.0.1" });
    console.log("up");
    setInterval(() => {}, 1000);`;
  // The caller leads a process group of its own, which is killed whole, as an init system or a
  // terminal's Ctrl-C would: a Caddy that did not start a session of its own would die with it.
  const caller = execa("node", ["--input-type=module", "-e", script], {
    reject: false,
    buffer: false,
    detached: true,
  });
  let pid: number | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      caller.stdout?.on("data", (chunk: Buffer) => chunk.toString().includes("up") && resolve());
      void caller.then((result) => reject(new Error(`the caller exited: ${result.stderr}`)));
    });
    pid = Number((await readFile(path.join(caddyDir, "caddy.pid"), "utf8")).trim());
    process.kill(-caller.pid!, "SIGKILL");
    await caller;
    expect(caller.pid && alive(caller.pid)).toBeFalsy();
    expect(alive(pid)).toBe(true);
    expect(await getWithHost(httpPort, "nobody.apps.test")).toEqual({
      status: 404,
      body: "no app at this address\n",
    });
  } finally {
    caller.kill("SIGKILL");
    await stopCaddy(caddyClient(`unix/${path.join(caddyDir, "caddy-admin.sock")}`)).catch(() => {});
    if (pid) await waitFor("our Caddy to exit", () => !alive(pid!), 15_000);
    await rm(dir, { recursive: true, force: true });
  }
}, 30_000);
