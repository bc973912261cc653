import { execSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { freePort } from "../../src/releases/free-port.js";

/** The newest installed server's programs (Debian: /usr/lib/postgresql/<version>/bin). */
function serverBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root) : [];
  const newest = versions
    .filter((v) => existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no Postgres server programs under ${root}`);
  return path.join(root, newest, "bin");
}

export type PrivatePostgres = {
  port: number;
  /** A URL of a database on this cluster (user postgres, trust). */
  url(database: string): string;
  /** `pg_ctl restart -m fast`: every session is terminated, then the server comes back. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
};

/**
 * A Postgres cluster of the test's own (initdb into a temporary directory, on a free port,
 * trust auth), which the test may restart or stop. As root, the server runs as `postgres`.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = serverBin();
  const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const user = asRoot
    ? {
        uid: Number(execSync("id -u postgres").toString()),
        gid: Number(execSync("id -g postgres").toString()),
      }
    : {};
  if (asRoot) await chown(dir, user.uid!, user.gid!);
  const run = (file: string, args: string[]) =>
    execa(path.join(bin, file), args, { ...user, cwd: dir, stdio: "ignore" });
  await run("initdb", ["-U", "postgres", "--auth=trust", "-D", data, "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctl = (action: string, ...extra: string[]) =>
    run("pg_ctl", [action, "-D", data, "-w", "-o", options, "-l", path.join(dir, "log"), ...extra]);
  await ctl("start");
  return {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    restart: async () => void (await ctl("restart", "-m", "fast")),
    stop: async () => void (await ctl("stop", "-m", "fast")),
    start: async () => void (await ctl("start")),
    async destroy() {
      await ctl("stop", "-m", "immediate").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
