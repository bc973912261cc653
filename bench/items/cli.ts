import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createTestStack } from "../../test/helpers/test-worker.js";
import { BIN } from "../../test/helpers/worker-process.js";
import { helloRepo } from "../lib/hello-repo.js";
import { timed } from "../lib/processes.js";
import { atMost } from "../lib/report.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

/**
 * 11. The CLI as a person types it (issue 23): `coduck-worker --help`, a `deploy` that queues and
 * returns, a database read, each spawn to exit, beside `node -e 0` (Node's own start, the
 * floor any Node CLI pays) in the same run; and how long a command lives after its last output
 * (issue 25: a command that opened Redis without using it stalled 2 s).
 */
export const cliStart: BenchItem = {
  id: 11,
  title: "the CLI: start-up, queue-and-return, exit",
  runs: { full: 10, smoke: 2 },
  async run(ctx) {
    const stack = await createTestStack();
    const repo = await helloRepo();
    const env = { ...process.env, ...stack.env };
    // Each spawn's CPU time too (user + system, from this process's children's): what a busy
    // machine changes least, when other sessions share it and wall times say little.
    const cpu = { node: [] as number[], coduck: [] as number[] };
    const spawned = async (into: number[], args: string[]) => {
      const before = childrenCpuMs();
      const { seconds } = await timed("node", args, { env });
      into.push(childrenCpuMs() - before);
      return seconds * 1000;
    };
    const node = () => spawned(cpu.node, ["-e", "0"]);
    const coduck = (...args: string[]) => spawned(cpu.coduck, [BIN, ...args]);
    try {
      const measure = async (what: string, worker: () => Promise<number>) => {
        ctx.progress(`${what}: ${ctx.runs} runs each, beside node -e 0`);
        return sideBySide(ctx.runs, worker, node);
      };
      const help = await measure("--help", () => coduck("--help"));
      cpu.node.length = 0;
      cpu.coduck.length = 0;
      const deploy = await measure("deploy (queue and return)", () =>
        coduck("deploy", "--project", "bench-cli", "--repo", repo.dir, "--ref", "main"),
      );
      const deployCpu = { worker: [...cpu.coduck], baseline: [...cpu.node] };
      const list = await measure("deployments list", () => coduck("deployments", "list"));
      const exits: number[] = [];
      for (let run = 0; run < ctx.runs; run++) {
        exits.push(await afterLastOutput(["retry", "--all-failed", "--dry-run"], env));
      }
      const row = (
        measure: string,
        result: { worker: number[]; baseline: number[] },
        limitMs?: number,
      ) => {
        const worker = summarize(result.worker);
        return {
          item: 11,
          measure,
          worker: { summary: worker, unit: "ms" as const },
          baseline: { summary: summarize(result.baseline), unit: "ms" as const },
          ratio: summarize(pairedRatios(result.worker, result.baseline)),
          ...(limitMs === undefined ? {} : { target: atMost(limitMs, worker.median, " ms") }),
        };
      };
      return [
        row("coduck-worker --help (spawn to exit) vs node -e 0", help, 150),
        row("coduck-worker deploy, queue and return, vs node -e 0", deploy, 400),
        {
          ...row("the same deploy: CPU time (user + system) vs node -e 0's", deployCpu),
          note: "10 ms resolution (clock ticks); what load changes least",
        },
        row("coduck-worker deployments list vs node -e 0", list),
        {
          item: 11,
          measure: "a command that opened Redis without using it: last output → exit",
          worker: { summary: summarize(exits), unit: "ms" },
          target: atMost(100, summarize(exits).median, " ms"),
          note: "retry --all-failed --dry-run; it stalled 2 s about every other run before (issue 25)",
        },
      ];
    } finally {
      await stack.close();
      await repo.remove();
    }
  },
};

/** Spawns the CLI and returns how long it lived after it last wrote to stdout or stderr (ms). */
async function afterLastOutput(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let last = performance.now();
    const seen = () => {
      last = performance.now();
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(performance.now() - last) : reject(new Error(`exit ${code}`)),
    );
  });
}

/**
 * CPU time (user + system, ms) of the children this process has waited for (Linux: cutime and
 * cstime of /proc/self/stat, in clock ticks of 10 ms). A spawn's own is the difference around
 * it, when it is the only child running.
 */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // After the command name (in parentheses, may hold spaces) the fields start at the 3rd.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) * 10;
}
