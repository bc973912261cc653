import { readFile } from "node:fs/promises";
import os from "node:os";
import { execa } from "execa";
import pg from "pg";

export type Machine = {
  date: string;
  cpus: number;
  cpuModel: string;
  memory: string;
  loadAverage: string;
  node: string;
  postgres: string;
  redis: string;
  git: string;
  npm: string;
};

/** What the numbers were measured on: they mean little without it. */
export async function describeMachine(postgresUrl: string): Promise<Machine> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  const postgres = await client
    .query("SHOW server_version")
    .then((r) => String(r.rows[0].server_version))
    .finally(() => client.end());
  const output = async (file: string, args: string[]) =>
    (await execa(file, args, { reject: false })).stdout.trim();
  const redis = /redis_version:(\S+)/.exec(await output("redis-cli", ["INFO", "server"]))?.[1];
  const free = await output("free", ["-h"]);
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "?",
    memory: /Mem:\s+(\S+)/.exec(free)?.[1] ?? `${Math.round(os.totalmem() / 2 ** 30)}Gi`,
    loadAverage: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" "),
    node: process.version,
    postgres,
    redis: redis ?? "?",
    git: (await output("git", ["--version"])).replace("git version ", ""),
    npm: await output("npm", ["--version"]),
  };
}

export function describeMachineMarkdown(machine: Machine): string {
  return [
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpus} × ${machine.cpuModel}; memory ${machine.memory}; load average at start ${machine.loadAverage}`,
    `- Node ${machine.node}, npm ${machine.npm}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}, git ${machine.git}`,
  ].join("\n");
}
