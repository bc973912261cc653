import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { claimDeployment, createDeployment } from "../../src/store/deployments.js";
import { countLogLines } from "../../src/store/step-log-lines.js";
import { startStep } from "../../src/store/steps.js";
import { createTestStack } from "../../test/helpers/test-worker.js";
import { BENCH_DIR, lastJsonLine, timed } from "../lib/processes.js";
import { atMost, below } from "../lib/report.js";
import { sideBySide } from "../lib/side-by-side.js";
import { pairedRatios, summarize } from "../lib/stats.js";
import { MB, printLogCommand, writeSyntheticLog } from "../lib/synthetic-log.js";
import type { BenchItem } from "./item.js";

const CHILD = path.join(BENCH_DIR, "children", "step-output.mjs");

type StepOutput = { seconds: number; classifySeconds: number; peakRssMb: number; code: string };

/**
 * 5. A step whose command prints a large log as fast as it can, through the worker's step
 * runner into a StepLog on a real database (in a child process, so that its peak RSS is the
 * worker's own, timed once that process has settled after its start, as a worker's has when a
 * step begins), against the same command writing to a file.
 */
export const stepOutput: BenchItem = {
  id: 5,
  title: "a step that prints a large log quickly",
  // A run takes about a second a side, and one run's ratio ranges over ±40 % on a shared VM:
  // the median needs many.
  runs: { full: 15, smoke: 1 },
  async run(ctx) {
    const bytes = (ctx.smoke ? 5 : 200) * MB;
    const stack = await createTestStack();
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-bench-output-"));
    const command = printLogCommand(bytes);
    let n = 0;
    try {
      const peaks: number[] = [];
      const classifySeconds: number[] = [];
      const results = await sideBySide(
        ctx.runs,
        async () => {
          const { id } = await createDeployment(stack.db, {
            project: `bench-output-${n++}`,
            repoUrl: "/bench/none",
            ref: "main",
            trigger: "bench",
            steps: ["build"],
          });
          // Claimed, as a worker does: step writes are fenced by the running attempt.
          const { attempt } = (await claimDeployment(stack.db, id))!;
          const step = await startStep(stack.db, { deploymentId: id, attempt, name: "build" });
          const { stdout } = await timed(process.execPath, [
            CHILD,
            stack.config.databaseUrl,
            id,
            String(attempt),
            step.id,
            stack.env.DATA_DIR!,
            command.file,
            ...command.args,
          ]);
          const child = lastJsonLine<StepOutput>(stdout);
          const stored = await countLogLines(stack.db, { stepId: step.id });
          if (stored !== 20_001)
            throw new Error(`expected 20,000 stored lines and the cap marker, found ${stored}`);
          // The spool read back finds the crash at the log's end, as the classifier must.
          if (child.code !== "PORT_IN_USE")
            throw new Error(`expected the spool to be classified PORT_IN_USE, got ${child.code}`);
          peaks.push(child.peakRssMb);
          classifySeconds.push(child.classifySeconds);
          return child.seconds;
        },
        async () => {
          const file = path.join(dir, `out-${n++}.log`);
          const started = performance.now();
          await writeSyntheticLog(file, bytes);
          const seconds = (performance.now() - started) / 1000;
          // Gone before the next run, as the worker's spool is: 200 MB of dirty pages left behind
          // would be written back during whichever run comes next.
          await rm(file);
          return seconds;
        },
      );
      const ratio = summarize(pairedRatios(results.worker, results.baseline));
      const peak = summarize(peaks);
      return [
        {
          item: 5,
          measure: `a step printing ${bytes / MB} MB: wall (step runner + StepLog vs > file)`,
          worker: { summary: summarize(results.worker), unit: "s" },
          baseline: { summary: summarize(results.baseline), unit: "s" },
          ratio,
          target: atMost(1.2, ratio.median),
        },
        {
          item: 5,
          measure: `the same step failing: classifying its spooled ${bytes / MB} MB after it ends`,
          worker: { summary: summarize(classifySeconds), unit: "s" },
        },
        {
          item: 5,
          measure: "worker peak RSS while the step prints (VmHWM)",
          worker: { summary: peak, unit: "MB" },
          target: below(250, peak.median, " MB"),
        },
      ];
    } finally {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
      await rm(stack.env.DATA_DIR!, { recursive: true, force: true });
    }
  },
};
