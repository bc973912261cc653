import { execa } from "execa";
import { hostEnv } from "../exec/child-env.js";

/**
 * Runs one of the host's file tools (cp, chown, chmod, find, du) as the worker, with the
 * worker's fixed host environment; rejects with its stderr when it fails. Paths are passed as
 * arguments, never through a shell.
 */
export async function hostTool(file: string, args: readonly string[]): Promise<string> {
  const result = await execa(file, args, {
    env: hostEnv(),
    extendEnv: false,
    stdin: "ignore",
    reject: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split("\n").slice(0, 3).join("; ");
    throw new Error(`${file} ${args.join(" ")} failed: ${why || `exit ${result.exitCode}`}`);
  }
  return result.stdout;
}

/** Bytes used by `dir` (du), or 0 when it does not exist. */
export async function diskUsage(dir: string): Promise<number> {
  return measuredUsage(dir).catch(() => 0);
}

/** Bytes used by `dir` (du, each inode once); rejects when du cannot measure it. */
export async function measuredUsage(dir: string): Promise<number> {
  const bytes = Number((await hostTool("du", ["-s", "-B1", "--", dir])).split(/\s/)[0]);
  if (!Number.isFinite(bytes)) throw new Error(`du could not measure ${dir}`);
  return bytes;
}
