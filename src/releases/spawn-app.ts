import { spawn } from "node:child_process";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";

export type SpawnedApp = {
  pid: number;
  logFile: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
};

/**
 * Starts the app as a release: its own process group, output appended to a log file (not a
 * pipe), detached from the worker, so it keeps serving when the worker restarts.
 */
export async function spawnApp(options: {
  command: string;
  cwd: string;
  env: Record<string, string>;
}): Promise<SpawnedApp> {
  const logFile = path.join(options.cwd, ".coduck", "app.log");
  await mkdir(path.dirname(logFile), { recursive: true });
  const log = await open(logFile, "a");
  try {
    const child = spawn("sh", ["-c", options.command], {
      cwd: options.cwd,
      env: options.env,
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
