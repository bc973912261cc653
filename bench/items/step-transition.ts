import { rm } from "node:fs/promises";
import pg from "pg";
import { claimDeployment, createDeployment } from "../../src/store/deployments.js";
import { finishStep, startStep } from "../../src/store/steps.js";
import { createTestStack } from "../../test/helpers/test-worker.js";
import { countingDb } from "../lib/counting-db.js";
import { atMost } from "../lib/report.js";
import { pairedRatios, percentile, summarize } from "../lib/stats.js";
import type { BenchItem } from "./item.js";

const BARE_START = `UPDATE "DeploymentStep" SET status = 'running', "startedAt" = now(), "finishedAt" = NULL
  WHERE "deploymentId" = $1 AND name = $2`;
const BARE_FINISH = `UPDATE "DeploymentStep" SET status = 'succeeded', "finishedAt" = now(),
  "durationMs" = $3, command = $4, "exitCode" = 0, "logTail" = $5
  WHERE "deploymentId" = $1 AND name = $2`;

/**
 * 6. Recording a step's start and end (store/steps.ts, through the worker's Prisma client)
 * against a bare single-row UPDATE with node-postgres; and how many round trips a transition
 * takes, counted on a Prisma client whose connections count what they send.
 */
export const stepTransition: BenchItem = {
  id: 6,
  title: "recording a step transition",
  runs: { full: 5, smoke: 1 },
  async run(ctx) {
    const perRound = ctx.smoke ? 20 : 200;
    const stack = await createTestStack();
    const bare = new pg.Client({ connectionString: stack.config.databaseUrl });
    const counting = countingDb(stack.config.databaseUrl);
    try {
      await bare.connect();
      const { id: deploymentId } = await createDeployment(stack.db, {
        project: "bench-steps",
        repoUrl: "/bench/none",
        ref: "main",
        trigger: "bench",
        steps: ["build"],
      });
      // Claimed, as a worker does: step writes are fenced by the running attempt.
      const { attempt } = (await claimDeployment(stack.db, deploymentId))!;
      const key = { deploymentId, attempt, name: "build" };
      const end = {
        status: "succeeded" as const,
        durationMs: 1234,
        command: "npm run build",
        exitCode: 0,
        logTail: "built dist/server.js",
      };
      const bareParams = [deploymentId, "build", 1234, "npm run build", "built dist/server.js"];

      // Round trips: warm the counting client up, then count one transition.
      await startStep(counting.db, key);
      await finishStep(counting.db, key, end);
      counting.take();
      await startStep(counting.db, key);
      const startSql = counting.take();
      await finishStep(counting.db, key, end);
      const finishSql = counting.take();

      const rounds = { start: [] as number[], finish: [] as number[], bare: [] as number[] };
      const bareFinish: number[] = [];
      // The metric totals' triggers (migration 20261207000000_flat_cost_history) fire on every
      // step write, the bare UPDATEs' too: each round also times the same transitions with
      // DeploymentStep's triggers disabled, before or after the rest by turns.
      const untriggered = { start: [] as number[], finish: [] as number[] };
      const withoutTriggers = async () => {
        const times = { start: [] as number[], finish: [] as number[] };
        await bare.query(`ALTER TABLE "DeploymentStep" DISABLE TRIGGER USER`);
        try {
          for (let i = 0; i < perRound; i++) {
            let t = performance.now();
            await startStep(stack.db, key);
            times.start.push(performance.now() - t);
            t = performance.now();
            await finishStep(stack.db, key, end);
            times.finish.push(performance.now() - t);
          }
        } finally {
          await bare.query(`ALTER TABLE "DeploymentStep" ENABLE TRIGGER USER`);
        }
        untriggered.start.push(percentile(times.start, 50));
        untriggered.finish.push(percentile(times.finish, 50));
      };
      for (let round = 0; round < ctx.runs; round++) {
        if (round % 2 === 1) await withoutTriggers();
        const times = { start: [] as number[], finish: [] as number[], bare: [] as number[] };
        const bareEnds: number[] = [];
        for (let i = 0; i < perRound; i++) {
          let t = performance.now();
          await startStep(stack.db, key);
          times.start.push(performance.now() - t);
          t = performance.now();
          await finishStep(stack.db, key, end);
          times.finish.push(performance.now() - t);
          t = performance.now();
          await bare.query(BARE_START, bareParams.slice(0, 2));
          times.bare.push(performance.now() - t);
          t = performance.now();
          await bare.query(BARE_FINISH, bareParams);
          bareEnds.push(performance.now() - t);
        }
        rounds.start.push(percentile(times.start, 50));
        rounds.finish.push(percentile(times.finish, 50));
        rounds.bare.push(percentile(times.bare, 50));
        bareFinish.push(percentile(bareEnds, 50));
        if (round % 2 === 0) await withoutTriggers();
      }
      const trips = (startSql.length + finishSql.length) / 2;
      return [
        {
          item: 6,
          measure: `startStep p50 (${perRound} per run) vs a bare UPDATE`,
          worker: { summary: summarize(rounds.start), unit: "ms" },
          baseline: { summary: summarize(rounds.bare), unit: "ms" },
          ratio: summarize(pairedRatios(rounds.start, rounds.bare)),
        },
        {
          item: 6,
          measure: "finishStep p50 vs a bare UPDATE",
          worker: { summary: summarize(rounds.finish), unit: "ms" },
          baseline: { summary: summarize(bareFinish), unit: "ms" },
          ratio: summarize(pairedRatios(rounds.finish, bareFinish)),
        },
        {
          item: 6,
          measure:
            "startStep p50 vs the same with DeploymentStep's triggers (metric totals) disabled",
          worker: { summary: summarize(rounds.start), unit: "ms" },
          baseline: { summary: summarize(untriggered.start), unit: "ms" },
          ratio: summarize(pairedRatios(rounds.start, untriggered.start)),
        },
        {
          item: 6,
          measure: "finishStep p50 vs the same with DeploymentStep's triggers disabled",
          worker: { summary: summarize(rounds.finish), unit: "ms" },
          baseline: { summary: summarize(untriggered.finish), unit: "ms" },
          ratio: summarize(pairedRatios(rounds.finish, untriggered.finish)),
        },
        {
          item: 6,
          measure: "round trips per transition (start, finish averaged)",
          worker: { summary: summarize([trips]), unit: "count" },
          baseline: { summary: summarize([1]), unit: "count" },
          target: atMost(3, trips),
          note: `startStep sends ${describeSql(startSql)}; finishStep sends ${describeSql(finishSql)}`,
        },
      ];
    } finally {
      await bare.end();
      await counting.db.$disconnect();
      await stack.close();
      await rm(stack.env.DATA_DIR!, { recursive: true, force: true });
    }
  },
};

/** "BEGIN, UPDATE …, SELECT …, COMMIT": each statement's first words. */
function describeSql(sql: readonly string[]): string {
  return `${sql.length}: ${sql.map((s) => s.trim().split(/\s+/).slice(0, 2).join(" ")).join(", ")}`;
}
