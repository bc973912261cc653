import { coerceError } from "../errors.js";
import { childEnv } from "../exec/child-env.js";
import { displayCommand } from "../exec/display-command.js";
import { runCommand } from "../exec/run-command.js";
import { FAILURE_CODES, type FailureCode } from "../failures/codes.js";
import { StepFailure } from "../failures/step-failure.js";
import { addWarning } from "../store/deployments.js";
import { finishStep, type StepEnd, skipPendingSteps, startStep } from "../store/steps.js";
import type { PipelineContext, Step, StepContext } from "./context.js";
import { type Interruption, interruptionOf, StepInterrupted } from "./interruption.js";
import { StepLog } from "./step-log.js";

export type PipelineResult =
  | { status: "succeeded" }
  | { status: "failed"; step: string; code: FailureCode; hint: string }
  | { status: "interrupted"; step: string; reason: Interruption };

/** Runs the steps in order, recording each one; the first that does not succeed ends the run. */
export async function runPipeline(
  ctx: PipelineContext,
  steps: readonly Step[],
): Promise<PipelineResult> {
  for (const step of steps) {
    const result = await runStep(ctx, step);
    if (result.status === "succeeded") continue;
    if (result.status === "failed") {
      await skipPendingSteps(ctx.db, ctx.deployment.id, `not run: ${step.name} failed`);
    }
    return result;
  }
  return { status: "succeeded" };
}

type Outcome = Omit<StepEnd, "durationMs">;

async function runStep(ctx: PipelineContext, step: Step): Promise<PipelineResult> {
  const key = { deploymentId: ctx.deployment.id, name: step.name };
  const logger = ctx.logger.child({ step: step.name });
  const started = performance.now();
  const deadline = Date.now() + ctx.config.stepTimeoutMs;
  const { id: stepId } = await startStep(ctx.db, key);
  const log = new StepLog(ctx.db, stepId, ctx.secrets);
  const commands: string[] = [];
  let last: { exitCode: number | null; signal: string | null } = { exitCode: null, signal: null };
  logger.info("step started");

  const stepCtx: StepContext = {
    ...ctx,
    logger,
    say: (line) => log.write("system", line),
    warn: async (warning) => {
      log.write("system", `warning: ${warning}`);
      logger.warn({ warning }, "deploy warning");
      await addWarning(ctx.db, ctx.deployment.id, warning);
    },
    run: async (file, args, failureCode) => {
      const command = displayCommand(file, args);
      commands.push(command);
      log.write("system", `$ ${command}`);
      const result = await runCommand(
        { file, args, cwd: ctx.releaseDir, env: childEnv(ctx.appEnv) },
        { onLine: log.write, timeoutMs: Math.max(deadline - Date.now(), 1), signal: ctx.signal },
      );
      last = result;
      if (result.aborted) throw new StepInterrupted(interruptionOf(ctx.signal));
      if (result.timedOut) {
        throw new StepFailure(
          "STEP_TIMEOUT",
          `${step.name} ran longer than ${Math.round(ctx.config.stepTimeoutMs / 1000)}s and was stopped`,
          result,
        );
      }
      if (result.exitCode !== 0) {
        const how =
          result.exitCode === null
            ? `was killed by ${result.signal}`
            : `exited with code ${result.exitCode}`;
        throw new StepFailure(failureCode, `\`${command}\` ${how}`, result);
      }
    },
  };

  let end: Outcome;
  let result: PipelineResult;
  try {
    const outcome = await step.run(stepCtx);
    end =
      outcome.status === "skipped"
        ? { status: "skipped", skipReason: outcome.reason }
        : { status: "succeeded" };
    result = { status: "succeeded" };
  } catch (thrown) {
    ({ end, result } = describeFailure(step.name, thrown, log, logger));
  }
  await log.close();
  await finishStep(ctx.db, key, {
    ...end,
    durationMs: Math.round(performance.now() - started),
    command: commands.join(" && ") || null,
    exitCode: end.exitCode ?? last.exitCode,
    signal: end.signal ?? last.signal,
    logTail: log.tail(),
  });
  logger.info(
    { status: end.status, durationMs: Math.round(performance.now() - started) },
    "step ended",
  );
  return result;
}

function describeFailure(
  stepName: string,
  thrown: unknown,
  log: StepLog,
  logger: PipelineContext["logger"],
): { end: Outcome; result: PipelineResult } {
  if (thrown instanceof StepInterrupted) {
    log.write("system", `${stepName} stopped: ${thrown.message}`);
    return {
      end: {
        status: thrown.reason === "cancel" ? "cancelled" : "interrupted",
        errorCode: thrown.reason === "cancel" ? "CANCELLED" : "WORKER_INTERRUPTED",
      },
      result: { status: "interrupted", step: stepName, reason: thrown.reason },
    };
  }
  const failure =
    thrown instanceof StepFailure
      ? thrown
      : new StepFailure(
          "UNKNOWN",
          `the worker could not run ${stepName}: ${coerceError(thrown).message}`,
          {},
          {
            cause: thrown,
          },
        );
  if (!(thrown instanceof StepFailure))
    logger.error({ err: thrown }, "step raised an unexpected error");
  const evidence = failure.facts.evidence ?? log.evidence() ?? failure.detail;
  log.write("system", failure.message);
  return {
    end: {
      status: "failed",
      errorCode: failure.code,
      hint: failure.hint,
      evidence,
      exitCode: failure.facts.exitCode ?? null,
      signal: failure.facts.signal ?? null,
    },
    result: {
      status: "failed",
      step: stepName,
      code: failure.code,
      hint: FAILURE_CODES[failure.code].hint,
    },
  };
}
