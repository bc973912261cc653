import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** bench/ itself, for its scripts, children and apps. */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export type Finished = { seconds: number; stdout: string; stderr: string };

/**
 * Runs a command to its end and times it (spawn to exit, as a person with `time` would);
 * rejects when it exits non-zero, with its stderr.
 */
export function timed(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; okCodes?: readonly number[] } = {},
): Promise<Finished> {
  const okCodes = options.okCodes ?? [0];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== null && okCodes.includes(code)) resolve({ seconds, stdout, stderr });
      else
        reject(
          new Error(
            `${path.basename(file)} ${args.join(" ")} ended with ${code ?? signal}:\n${stderr.slice(-2000)}`,
          ),
        );
    });
  });
}

/** A child script's last stdout line, parsed: every child prints one JSON line at its end. */
export function lastJsonLine<T>(stdout: string): T {
  const last = stdout.trim().split("\n").at(-1);
  if (!last) throw new Error("the child printed nothing");
  return JSON.parse(last) as T;
}
