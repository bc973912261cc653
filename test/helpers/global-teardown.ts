import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";

// Jest loads this file outside the ES module graph, so it imports nothing of the project's.

/**
 * Drops this run's template database (see global-setup), and stops what test stacks of this
 * run left running.
 */
export default async function globalTeardown(): Promise<void> {
  const strays = await stopStrayReleaseHosts(process.env.TEST_TEMPLATE_DATABASE);
  for (const host of strays)
    console.warn(`stopped a ${host.what} left running by a test stack (${host.dataDir})`);
  const template = process.env.TEST_TEMPLATE_DATABASE;
  if (!template || process.env.KEEP_TEST_DATABASES === "1") return;
  const client = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  // Second hosts' clusters (debian-cluster.ts) of this run, and of runs that are over (their
  // template is gone) but died before dropping them.
  const { rows } = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname LIKE 'coduck\\_test\\_template\\_%'",
  );
  await client.end();
  const liveRuns = new Set(rows.map((row) => testRunId(row.datname)));
  for (const cluster of testClusters()) {
    if (liveRuns.has(cluster.run)) continue;
    console.warn(`dropping Postgres cluster ${cluster.version}/${cluster.name} left by a test`);
    try {
      execFileSync("pg_dropcluster", ["--stop", cluster.version, cluster.name], {
        stdio: "ignore",
      });
    } catch {
      // reported above; the next run's teardown tries again
    }
  }
}

/** Starts the name of every Postgres cluster a test makes (`<prefix><run id>_<random>`). */
export const TEST_CLUSTER_PREFIX = "coduck_test_";

/** A test run's id: the hex suffix of its template database's name. */
export function testRunId(template: string | undefined): string {
  return template?.match(/_([0-9a-f]+)$/)?.[1] ?? "norun";
}

/** Clusters under /etc/postgresql/<version>/ named by TEST_CLUSTER_PREFIX, with their run. */
function testClusters(): { version: string; name: string; run: string }[] {
  const root = "/etc/postgresql";
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((version) =>
    readdirSync(`${root}/${version}`)
      .filter((name) => name.startsWith(TEST_CLUSTER_PREFIX))
      .map((name) => ({
        version,
        name,
        run: name.slice(TEST_CLUSTER_PREFIX.length).split("_")[0] ?? "",
      })),
  );
}

/** The file in a test stack's DATA_DIR naming the test run that made it. */
export const TEST_RUN_FILE = ".test-run";

/** A supervisord or Caddy a test stack started, by pid, with the stack's DATA_DIR. */
type StrayHost = { pid: number; what: "supervisord" | "caddy"; dataDir: string };

const STOP_WAIT_MS = 15_000;

/**
 * Stops (SIGTERM, then SIGKILL) every supervisord and Caddy whose command line names a test
 * stack's DATA_DIR (`<tmpdir>/coduck-data-*`) that is gone, or that this test run (`run`) made:
 * what a stack left behind when its close() never ran. Another run's live stacks keep theirs.
 * Nothing else is touched, so a supervisord of the host or of a developer is safe.
 */
async function stopStrayReleaseHosts(run: string | undefined): Promise<StrayHost[]> {
  const strays = (await testStackHosts()).filter(
    (host) => !existsSync(host.dataDir) || (run !== undefined && runOf(host.dataDir) === run),
  );
  // supervisord stops its programs on SIGTERM; Caddy finishes its requests.
  for (const host of strays) signal(host.pid, "SIGTERM");
  const deadline = Date.now() + STOP_WAIT_MS;
  while (strays.some((host) => alive(host.pid)) && Date.now() < deadline) await sleep(100);
  for (const host of strays) if (alive(host.pid)) signal(host.pid, "SIGKILL");
  return strays;
}

async function testStackHosts(): Promise<StrayHost[]> {
  const prefix = path.join(os.tmpdir(), "coduck-data-");
  const hosts: StrayHost[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const args = await readFile(`/proc/${pid}/cmdline`, "utf8").then(
      (text) => text.split("\0").filter(Boolean),
      () => [], // gone meanwhile, or not ours to read
    );
    // supervisord runs as `python3 /usr/bin/supervisord -c …`, Caddy as `caddy run …`.
    const what = args.some((arg) => path.basename(arg) === "supervisord")
      ? "supervisord"
      : path.basename(args[0] ?? "") === "caddy"
        ? "caddy"
        : null;
    const named = args.find((arg) => arg.startsWith(prefix));
    if (!what || !named) continue;
    // `<tmpdir>/coduck-data-XXXXXX/supervisor/supervisord.conf` → `<tmpdir>/coduck-data-XXXXXX`
    const dataDir = path.join(os.tmpdir(), path.relative(os.tmpdir(), named).split(path.sep)[0]!);
    hosts.push({ pid, what, dataDir });
  }
  return hosts;
}

function runOf(dataDir: string): string | null {
  try {
    return readFileSync(path.join(dataDir, TEST_RUN_FILE), "utf8").trim();
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // A zombie is gone as far as anyone using it can tell.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
