import { readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { RULES } from "../../src/failures/rules/index.js";
import { BENCH_DIR, lastJsonLine, timed } from "../lib/processes.js";
import { atLeast, below } from "../lib/report.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, summarize } from "../lib/stats.js";
import { MB, writeSyntheticLog } from "../lib/synthetic-log.js";
import type { BenchItem } from "./item.js";

const CHILD = path.join(BENCH_DIR, "children", "classify-file.mjs");

type Classified = { seconds: number; code: string; evidenceLine: number | null; peakRssMb: number };

/**
 * 4. The failure classifier over a large step log, in a child process of its own (so its peak
 * RSS is its own; it runs the built dist/ as the worker does), against `grep -E` over the same
 * patterns. Both are timed from spawn to exit, so the throughputs compare like for like; and
 * both are charged their own CPU time (user + sys, the kernel's count for each child), which
 * other sessions' load on the machine changes far less than the wall time.
 */
export const classifyLogItem: BenchItem = {
  id: 4,
  title: "classifying a large log",
  // grep's own time ranges over ±20 % from one run to the next here.
  runs: { full: 5, smoke: 1 },
  async run(ctx) {
    const sizeMb = ctx.smoke ? 5 : 200;
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-log-"));
    const file = path.join(dir, "step.log");
    try {
      ctx.progress(`writing a ${sizeMb} MB log`);
      await writeSyntheticLog(file, sizeMb * MB);
      const size = (await stat(file)).size / MB;
      const pattern = RULES.map((rule) => `(${toEre(rule.pattern.source)})`).join("|");
      const grepEnv = { ...process.env, LC_ALL: "C" };

      const peaks: number[] = [];
      const perCpu = { worker: [] as number[], baseline: [] as number[] };
      const results = await sideBySide(
        ctx.runs,
        async () => {
          const cpuBefore = childrenCpuSeconds();
          const { seconds, stdout } = await timed(process.execPath, [CHILD, file]);
          perCpu.worker.push(size / cpuSince(cpuBefore));
          const child = lastJsonLine<Classified>(stdout);
          if (child.code !== "PORT_IN_USE")
            throw new Error(`the classifier said ${child.code}, not PORT_IN_USE`);
          peaks.push(child.peakRssMb);
          return size / seconds;
        },
        async () => {
          const cpuBefore = childrenCpuSeconds();
          const { seconds } = await timed("grep", ["-E", "-i", "-c", "-e", pattern, file], {
            env: grepEnv,
            okCodes: [0, 1],
          });
          perCpu.baseline.push(size / cpuSince(cpuBefore));
          return size / seconds;
        },
      );
      const ratio = summarize(pairedRatios(results.worker, results.baseline));
      const cpuRatio = summarize(pairedRatios(perCpu.worker, perCpu.baseline));
      const peak = summarize(peaks);
      return [
        {
          item: 4,
          measure: `classifying a ${size.toFixed(0)} MB log: throughput (ratio = classifier ÷ grep)`,
          worker: { summary: summarize(results.worker), unit: "MB/s" },
          baseline: { summary: summarize(results.baseline), unit: "MB/s" },
          ratio,
          target: atLeast(0.5, ratio.median, "×"),
        },
        {
          item: 4,
          measure:
            "the same per CPU second (MB ÷ user + sys time of each process: what load does not change)",
          worker: { summary: summarize(perCpu.worker), unit: "MB/s" },
          baseline: { summary: summarize(perCpu.baseline), unit: "MB/s" },
          ratio: cpuRatio,
        },
        {
          item: 4,
          measure: "classifier peak RSS (VmHWM of its process)",
          worker: { summary: peak, unit: "MB" },
          target: below(150, peak.median, " MB"),
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

// /proc reports times in USER_HZ, which Linux fixes at 100 for user space.
const USER_HZ = 100;

/**
 * The CPU time (user + sys) of this process's children that have ended and been waited for,
 * from /proc/self/stat (cutime, cstime): around one child's run, that child's own CPU time.
 */
function childrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command name: state is field 3, cutime field 16, cstime field 17.
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / USER_HZ;
}

/** Children's CPU seconds since `before`: at least one tick (a smoke run's grep takes less). */
function cpuSince(before: number): number {
  return Math.max(childrenCpuSeconds() - before, 1 / USER_HZ);
}

/** A rule in POSIX ERE: lookaheads dropped (a superset), `\d` spelled out, `(?:` as `(`. */
export function toEre(source: string): string {
  return source
    .replace(/\(\?[!=][^()]*(?:\([^()]*\)[^()]*)*\)/g, "")
    .replaceAll("(?:", "(")
    .replaceAll("\\d", "[0-9]")
    .replaceAll("\\/", "/");
}
