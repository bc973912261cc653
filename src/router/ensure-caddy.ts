import { spawn } from "node:child_process";
import { chmod, mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type CaddyClient, caddyClient } from "./caddy-client.js";
import { type CaddyFiles, caddyFiles } from "./caddy-files.js";
import { coduckServer, SERVER_NAME, type ServerOptions } from "./coduck-server.js";
import { ensureCoduckServer } from "./ensure-coduck-server.js";
import { withStartLock } from "./start-lock.js";

const START_TIMEOUT_MS = 15_000;

/** How our own Caddy serves: its HTTP port, and the interface (every one by default). */
export type EnsureCaddyOptions = {
  httpPort: number;
  /** e.g. "127.0.0.1" in tests; default: every interface. */
  listenHost?: string;
  /** The caddy binary; default `caddy` on PATH. */
  caddyBin?: string;
};

/** Our own Caddy: its admin client, whether this call started it, and its files. */
export type OwnCaddy = { client: CaddyClient; started: boolean; files: CaddyFiles };

/**
 * Makes our own Caddy run from `dir` (0700) and returns its client: reuses the one whose admin
 * socket answers, else starts one detached (its own session, output to `dir`/caddy.log), which
 * outlives the caller, kill -9 included. Our server `coduck` listens on `listenHost:httpPort`
 * with automatic HTTPS off.
 *
 * Routes persist through Caddy's own autosave, with `caddy run --resume`: every change through
 * the admin API is written to `dir`/caddy/autosave.json before the API answers, so a Caddy
 * killed -9 comes back with the routes it last served; `--config caddy.json` alone would bring
 * back only the bootstrap config (no routes) and make us rewrite a file after each change.
 * `caddy.json` is the bootstrap, used while there is no autosave.
 */
export async function ensureCaddy(dir: string, options: EnsureCaddyOptions): Promise<OwnCaddy> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const files = caddyFiles(dir);
  const client = caddyClient(`unix/${files.socket}`);
  const server: ServerOptions = {
    listen: [`${options.listenHost ?? ""}:${options.httpPort}`],
    automaticHttps: false,
  };
  let started = false;
  if (!(await answers(client))) {
    await withStartLock(files.startLock, 2 * START_TIMEOUT_MS, async () => {
      if (await answers(client)) return; // started by whoever held the lock before us
      const bootstrap = `${JSON.stringify(bootstrapConfig(files, server), null, 2)}\n`;
      await writeFile(files.config, bootstrap, { mode: 0o600 });
      await startCaddy(files, client, options.caddyBin ?? "caddy");
      started = true;
    });
  }
  // A resumed config may listen elsewhere than asked now (HTTP port changed): ensure says where.
  await ensureCoduckServer(client, server);
  return { client, started, files };
}

/** The config our Caddy starts from when there is no autosave: admin on our socket, our server. */
function bootstrapConfig(files: CaddyFiles, server: ServerOptions): Record<string, unknown> {
  return {
    admin: { listen: `unix/${files.socket}` },
    apps: { http: { servers: { [SERVER_NAME]: coduckServer(server) } } },
  };
}

async function answers(client: CaddyClient): Promise<boolean> {
  try {
    await client.get("/config/admin");
    return true;
  } catch {
    return false;
  }
}

async function startCaddy(files: CaddyFiles, client: CaddyClient, bin: string): Promise<void> {
  const first = await spawnCaddy(files, client, bin);
  if (first.ok) return;
  // An autosave cut short (Caddy killed -9 mid-write) makes --resume fail: only then is it set
  // aside and Caddy started from the bootstrap; the worker re-asserts its routes at start.
  if (await isJson(files.autosave)) throw new Error(first.error);
  const aside = `${files.autosave}.unreadable-${Date.now()}`;
  await rename(files.autosave, aside);
  const second = await spawnCaddy(files, client, bin);
  if (!second.ok) throw new Error(`${second.error} (the autosave was set aside as ${aside})`);
}

/** True unless the file exists and is not JSON. */
async function isJson(file: string): Promise<boolean> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function spawnCaddy(
  files: CaddyFiles,
  client: CaddyClient,
  bin: string,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const log = await open(files.log, "a", 0o600);
  let exited: string | undefined;
  try {
    const child = spawn(
      bin,
      ["run", "--resume", "--config", files.config, "--pidfile", files.pid],
      {
        cwd: files.dir,
        detached: true,
        stdio: ["ignore", log.fd, log.fd],
        // Caddy needs none of the worker's secrets; XDG_* keep its autosave, certificates and
        // locks under our directory instead of a home directory.
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: files.dir,
          XDG_CONFIG_HOME: files.dir,
          XDG_DATA_HOME: path.join(files.dir, "data"),
        },
      },
    );
    child.on("error", (error) => (exited = error.message));
    child.on("exit", (code, signal) => (exited = `exited ${signal ?? code}`));
    child.unref();
  } finally {
    await log.close();
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(client)) return { ok: true };
    if (exited) return { ok: false, error: `caddy ${exited}: ${await logTail(files.log)}` };
    await sleep(50);
  }
  return { ok: false, error: `caddy's admin socket did not answer within ${START_TIMEOUT_MS} ms` };
}

async function logTail(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-3).join("\n");
}
