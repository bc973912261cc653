import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import path from "node:path";
import { BENCH_DIR } from "./processes.js";

export const MB = 1024 * 1024;

/** The step log children/print-log.mjs prints, for a command that prints it. */
export function printLogCommand(bytes: number): { file: string; args: string[] } {
  return {
    file: process.execPath,
    args: [path.join(BENCH_DIR, "children", "print-log.mjs"), String(bytes)],
  };
}

/** Writes that log to a file: about `bytes` of noise, then the failure at its end. */
export async function writeSyntheticLog(file: string, bytes: number): Promise<void> {
  const out = await open(file, "w");
  try {
    const { file: node, args } = printLogCommand(bytes);
    const child = spawn(node, args, { stdio: ["ignore", out.fd, "inherit"] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) throw new Error(`print-log.mjs exited with ${code}`);
  } finally {
    await out.close();
  }
}
