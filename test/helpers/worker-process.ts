import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";

export const BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../bin/coduck-worker.js",
);

/** The `coduck-worker` command as a user runs it (the built bin), with the given environment. */
export function cli(args: string[], env: Record<string, string>) {
  return execa("node", [BIN, ...args], { env, extendEnv: true, reject: false, all: false });
}

export type WorkerProcess = {
  child: ResultPromise;
  /** Every log line the worker printed so far, parsed. */
  logs: Array<Record<string, unknown>>;
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
};

/**
 * A real `coduck-worker start` process, ready to take jobs. `forceKillAfterMs`: how long after
 * a `child.kill()` execa sends SIGKILL (its default, 5 s).
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  { forceKillAfterMs = 5_000 }: { forceKillAfterMs?: number } = {},
): Promise<WorkerProcess> {
  const child = execa("node", [BIN, "start"], {
    env: { ...env, LOG_LEVEL: "info" },
    extendEnv: true,
    reject: false,
    buffer: false,
    stdout: "pipe",
    forceKillAfterDelay: forceKillAfterMs,
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const wake of waiters.splice(0)) wake();
  });
  const process: WorkerProcess = {
    child,
    logs,
    async waitForLog(message, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find((entry) => entry.msg === message);
        if (found) return found;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(
            `worker never logged "${message}"; it logged:\n${logs.map((l) => l.msg).join("\n")}`,
          );
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  };
  await process.waitForLog("worker ready");
  return process;
}
