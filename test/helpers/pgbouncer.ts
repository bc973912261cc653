import { chmod, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { freePort } from "../../src/releases/free-port.js";
import { tempDir } from "./temp-dir.js";

/** The platform's PgBouncer (>= 1.21), where scripts/setup-host.sh builds it. */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? "/opt/coduck/pgbouncer/bin/pgbouncer";
/** Debian bookworm's PgBouncer 1.18, unpacked by scripts/setup-host.sh. */
export const LEGACY_PGBOUNCER_BIN =
  process.env.LEGACY_PGBOUNCER_BIN ?? "/opt/coduck/pgbouncer-1.18/usr/sbin/pgbouncer";

export type PgBouncer = {
  host: string;
  port: number;
  logFile: string;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port with the same configuration. */
  start(): Promise<void>;
};

/**
 * A real PgBouncer (1.24, built by scripts/setup-host.sh) in transaction mode with
 * max_prepared_statements = 100 in front of the local Postgres, the way the platform runs it: clients are authenticated through `auth_query` on the lookup function
 * in their own database, as `pgbouncer_auth`.
 */
export async function startPgBouncer(options: {
  authPassword: string;
  lookupSchema?: string;
  /** Another PgBouncer binary (the legacy 1.18 test: LEGACY_PGBOUNCER_BIN). */
  bin?: string;
  /** 0 leaves the setting out, as PgBouncer before 1.21 (which has none) needs. */
  maxPreparedStatements?: number;
  /** Users allowed read-only SHOW commands on the console (doctor's pgbouncer-mode check). */
  statsUsers?: string[];
  /** The Postgres port it pools for (127.0.0.1); default 5432, the tests' server. */
  targetPort?: number;
}): Promise<PgBouncer> {
  const maxPrepared = options.maxPreparedStatements ?? 100;
  const dir = await tempDir("coduck-pgbouncer-");
  await chmod(dir, 0o777);
  const port = await freePort();
  const logFile = path.join(dir, "pgbouncer.log");
  const ini = path.join(dir, "pgbouncer.ini");
  await writeFile(path.join(dir, "userlist.txt"), `"pgbouncer_auth" "${options.authPassword}"\n`, {
    mode: 0o644,
  });
  await writeFile(
    ini,
    [
      "[databases]",
      `* = host=127.0.0.1 port=${options.targetPort ?? 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      `logfile = ${logFile}`,
      `pidfile = ${path.join(dir, "pgbouncer.pid")}`,
      "pool_mode = transaction",
      ...(maxPrepared > 0 ? [`max_prepared_statements = ${maxPrepared}`] : []),
      "auth_type = scram-sha-256",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      "auth_user = pgbouncer_auth",
      `auth_query = SELECT usename, passwd FROM ${options.lookupSchema ?? "public"}.user_lookup($1)`,
      "max_client_conn = 200",
      "default_pool_size = 5",
      "ignore_startup_parameters = extra_float_digits,options",
      ...(options.statsUsers ? [`stats_users = ${options.statsUsers.join(", ")}`] : []),
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const run = async () => {
    const child = execa(
      options.bin ?? PGBOUNCER_BIN,
      [...(asRoot ? ["-u", "postgres"] : []), ini],
      {
        reject: false,
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await accepts(port)) break;
      if (child.exitCode !== null)
        throw new Error(`pgbouncer exited: ${await readFile(logFile, "utf8").catch(() => "")}`);
      await sleep(50);
    }
    return { child }; // not the child itself: it is a promise, and would be awaited
  };
  let { child } = await run();
  return {
    host: "127.0.0.1",
    port,
    logFile,
    async stop() {
      child.kill("SIGINT");
      await child;
    },
    async start() {
      ({ child } = await run());
    },
  };
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
