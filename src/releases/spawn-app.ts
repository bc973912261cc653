import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import type { Sandbox } from "../exec/sandbox.js";

export type SpawnedApp = {
  pid: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
};

/**
 * Starts the app as a release: its own process group, output appended to a log file (not a
 * pipe), detached from the worker, so it keeps serving when the worker restarts. The log file
 * lies beside the release directory, not in it: the app may write its own directory, and must
 * not be able to swap the file the worker reads for a link to one of the worker's. The log is
 * the worker's file, private (0600): the app writes it only through the descriptor it is given.
 */
export async function spawnApp(options: {
  command: string;
  cwd: string;
  env: Record<string, string>;
  sandbox?: Sandbox | null;
}): Promise<SpawnedApp> {
  const logFile = `${options.cwd}.log`;
  const plain = { file: "sh", args: ["-c", options.command], cwd: options.cwd, env: options.env };
  const command = options.sandbox ? await options.sandbox.wrap(plain, "release") : plain;
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = constants;
  const log = await open(logFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  await log.chmod(0o600);
  try {
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }));
      child.once("error", () => resolve({ code: 127, signal: null }));
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start: ${options.command}`);
    return { pid: child.pid, logFile, exited };
  } finally {
    await log.close();
  }
}
