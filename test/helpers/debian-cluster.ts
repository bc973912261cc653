import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { execa } from "execa";
import pg from "pg";
import { freePort } from "../../src/releases/free-port.js";
import { TEST_CLUSTER_PREFIX, testRunId } from "./global-teardown.js";

/** A Postgres cluster made by Debian's pg_createcluster for one test file, on its own port. */
export type DebianCluster = {
  version: string;
  name: string;
  port: number;
  /** A URL of a database on this cluster (user postgres, trust on 127.0.0.1). */
  url(database: string): string;
  /** The names of the databases it holds. */
  databases(): Promise<string[]>;
  /** pg_ctlcluster stop / start (fast shutdown: sessions are ended). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** pg_dropcluster --stop: the server stops and its data and configuration are gone. */
  drop(): Promise<void>;
};

/**
 * The newest Postgres server version installed (`/usr/lib/postgresql/<version>/bin/postgres`),
 * the one the tests' own server is.
 */
function serverVersion(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root) : [];
  const newest = versions
    .filter((v) => existsSync(`${root}/${v}/bin/postgres`))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no Postgres server under ${root}: run scripts/setup-host.sh`);
  return newest;
}

/**
 * A second Postgres cluster on this machine, as a second host would have its own: Debian's
 * `pg_createcluster` (trust for local and 127.0.0.1 connections, as the tests' main cluster),
 * started with `pg_ctlcluster`. Its name carries this test run's id, so the global teardown
 * drops it if the test file died before drop() (TEST_CLUSTER_PREFIX). Needs root (or the
 * postgres user): pg_createcluster writes /etc/postgresql and /var/lib/postgresql.
 */
export async function createDebianCluster(): Promise<DebianCluster> {
  const version = serverVersion();
  const name = `${TEST_CLUSTER_PREFIX}${testRunId(process.env.TEST_TEMPLATE_DATABASE)}_${randomBytes(3).toString("hex")}`;
  const port = await freePort();
  await execa("pg_createcluster", [
    "--quiet",
    "--port",
    String(port),
    // Never started at boot: it lives as long as its test file.
    "--start-conf",
    "manual",
    "-o",
    "fsync=off",
    "-o",
    "max_connections=200",
    version,
    name,
    "--",
    "--auth=trust",
    "--no-sync",
  ]);
  const ctl = (action: string) =>
    execa("pg_ctlcluster", ["--skip-systemctl-redirect", "-m", "fast", version, name, action]);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await execa("pg_dropcluster", ["--stop", version, name]);
  };
  try {
    await ctl("start");
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    version,
    name,
    port,
    url,
    async databases() {
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        const { rows } = await client.query<{ datname: string }>(
          "SELECT datname FROM pg_database ORDER BY datname",
        );
        return rows.map((row) => row.datname);
      } finally {
        await client.end();
      }
    },
    stop: async () => void (await ctl("stop")),
    start: async () => void (await ctl("start")),
    drop,
  };
}
