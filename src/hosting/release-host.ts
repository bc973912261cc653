import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.js";
import { type CaddyClient, caddyClient } from "../router/caddy-client.js";
import { caddyFiles } from "../router/caddy-files.js";
import { connectCaddy } from "../router/connect-caddy.js";
import { ensureCaddy } from "../router/ensure-caddy.js";
import { projectHost } from "../router/route-names.js";
import { stopCaddy } from "../router/stop-caddy.js";
import { ensureSupervisord } from "../supervision/ensure-supervisord.js";
import { SupervisorClient } from "../supervision/supervisor-client.js";
import { supervisorPaths } from "../supervision/supervisor-paths.js";

/**
 * Where releases run and how they are reached: the supervisord that keeps them running (its
 * client, and the directory whose `programs/` holds their definitions) and the Caddy that
 * routes each project's stable address to its live release.
 */
export type ReleaseHost = {
  /** DATA_DIR: where the releases' sockets and their projects' links are (release-socket.ts). */
  dataDir: string;
  supervisor: SupervisorClient;
  supervisorDir: string;
  router: CaddyClient;
  /** `<slug>.<APPS_DOMAIN>`: the host name a project is served at. */
  hostOf(slug: string): string;
  /** The project's stable URL, as every record shows it. */
  urlOf(slug: string): string;
};

type HostConfig = Pick<Config, "dataDir" | "releases">;

// supervisord stops each program (SIGTERM, then SIGKILL after its stopwaitsecs) before it exits.
const SHUTDOWN_WAIT_MS = 20_000;

const opened = new Map<string, Promise<ReleaseHost>>();

/**
 * The release host of this configuration, opened once per process: the host's supervisord
 * and Caddy when SUPERVISOR_SOCKET and CADDY_ADMIN name them, else the worker's own, started
 * under DATA_DIR when none runs (they outlive the worker: releases keep serving through its
 * restarts, kill -9 included).
 */
export function openReleaseHost(config: HostConfig): Promise<ReleaseHost> {
  const key = config.dataDir;
  let host = opened.get(key);
  if (!host) {
    host = connect(config);
    opened.set(key, host);
    host.catch(() => opened.delete(key));
  }
  return host;
}

async function connect(config: HostConfig): Promise<ReleaseHost> {
  const { releases } = config;
  const supervisorDir = path.join(config.dataDir, "supervisor");
  const supervisor = releases.supervisorSocket
    ? new SupervisorClient(releases.supervisorSocket)
    : await ensureSupervisord(supervisorDir);
  const router = releases.caddyAdmin
    ? await connectCaddy(releases.caddyAdmin, {
        automaticHttps: releases.urlScheme === "https",
        listen: releases.urlScheme === "https" ? [":443"] : [`:${releases.appsHttpPort}`],
      })
    : (await ensureCaddy(path.join(config.dataDir, "caddy"), { httpPort: releases.appsHttpPort }))
        .client;
  const hostOf = (slug: string) => projectHost(slug, releases.appsDomain);
  const port =
    releases.urlScheme === "https" || releases.appsHttpPort === 80
      ? ""
      : `:${releases.appsHttpPort}`;
  return {
    dataDir: config.dataDir,
    supervisor,
    supervisorDir,
    router,
    hostOf,
    urlOf: (slug) => `${releases.urlScheme}://${hostOf(slug)}${port}`,
  };
}

/**
 * Stops the worker's own supervisord (and with it every release it runs) and its own Caddy:
 * for tests and for `coduck-worker` on a machine being emptied, never at a worker's shutdown
 * (releases outlive it). A configured supervisord or Caddy is the host's, and left alone.
 */
export async function stopOwnReleaseHost(config: HostConfig): Promise<void> {
  const host = opened.get(config.dataDir);
  opened.delete(config.dataDir);
  const supervisor = config.releases.supervisorSocket
    ? null
    : new SupervisorClient(supervisorPaths(path.join(config.dataDir, "supervisor")).socket);
  const router = config.releases.caddyAdmin
    ? null
    : caddyClient(`unix/${caddyFiles(path.join(config.dataDir, "caddy")).socket}`);
  await host?.catch(() => undefined);
  await Promise.all([
    supervisor ? shutDown(supervisor) : undefined,
    router ? stopCaddy(router).catch(() => undefined) : undefined,
  ]);
}

/** Asks supervisord to stop its programs and exit, and waits until it no longer answers. */
async function shutDown(supervisor: SupervisorClient): Promise<void> {
  try {
    await supervisor.call("supervisor.shutdown", [], { timeoutMs: 5_000 });
  } catch {
    return; // not running
  }
  const deadline = Date.now() + SHUTDOWN_WAIT_MS;
  while (Date.now() < deadline) {
    const answered = await supervisor.call("supervisor.getState", [], { timeoutMs: 1_000 }).then(
      () => true,
      () => false,
    );
    if (!answered) return;
    await sleep(100);
  }
}
