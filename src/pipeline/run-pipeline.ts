import path from "node:path";
import { hintForPackageManager, installCommand } from "../apps/package-manager.js";
import { coerceError } from "../errors.js";
import { childEnv, hostEnv } from "../exec/child-env.js";
import { displayCommand } from "../exec/display-command.js";
import { forEachLine, linesText } from "../exec/output-lines.js";
import { processStartTicks } from "../exec/process-identity.js";
import { runCommand } from "../exec/run-command.js";
import { type FailureCode, onlyNamesStep } from "../failures/codes.js";
import { StepFailure } from "../failures/step-failure.js";
import { releaseFingerprint } from "../releases/release-fingerprint.js";
import { addWarning } from "../store/deployments.js";
import { recordReleaseFingerprint } from "../store/release-directories.js";
import {
  finishStep,
  recordStepProcess,
  type StepEnd,
  skipPendingSteps,
  startStep,
} from "../store/steps.js";
import type {
  AheadContext,
  PipelineContext,
  RunOptions,
  Step,
  StepContext,
  StepOutcome,
} from "./context.js";
import { type Interruption, interruptionOf, StepInterrupted } from "./interruption.js";
import { SpooledClassifier } from "./spooled-classifier.js";
import { DEFAULT_LOG_LIMITS, StepLog } from "./step-log.js";
import { isFailureStep } from "./step-names.js";
import { stepOutputSink } from "./step-output-sink.js";

export type PipelineResult =
  | { status: "succeeded" }
  | { status: "failed"; step: string; code: FailureCode; hint: string; retryable: boolean }
  | { status: "interrupted"; step: string; reason: Interruption };

/** Runs the steps in order, recording each one; the first that does not succeed ends the run. */
export async function runPipeline(
  ctx: PipelineContext,
  steps: readonly Step[],
): Promise<PipelineResult> {
  let ahead: ReadAhead | null = null;
  try {
    for (const [index, step] of steps.entries()) {
      const readAhead = ahead?.name === step.name ? ahead : null;
      // The next step's read-ahead runs beside this step (Step.readAhead).
      const next = steps[index + 1];
      ahead = next?.readAhead && !ctx.notRun.has(next.name) ? startReadAhead(ctx, next) : null;
      const result = await runStep(ctx, step, readAhead?.result ?? null);
      if (result.status === "succeeded") continue;
      if (result.status === "failed") {
        await skipPendingSteps(ctx.db, attemptOf(ctx), `not run: ${step.name} failed`);
      }
      return result;
    }
    return { status: "succeeded" };
  } finally {
    // Nothing of an attempt outlives it: a read-ahead still running is stopped and waited for.
    if (ahead) {
      ahead.stop.abort();
      await ahead.result;
    }
  }
}

type ReadAhead = { name: string; result: Promise<unknown>; stop: AbortController };

/**
 * Starts `step`'s read-ahead: its commands run in the box, stopped with the attempt or when
 * the pipeline no longer needs them, within the step's time limit. Resolves null when it
 * fails: the step then does the work itself, and says why when it fails there.
 */
function startReadAhead(ctx: PipelineContext, step: Step): ReadAhead {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const deadline = Date.now() + stepTimeoutMs(ctx, step.name);
  const capture: AheadContext["capture"] = async (file, args, env) => {
    const plain = {
      file,
      args,
      cwd: ctx.releaseDir,
      env: childEnv({ ...ctx.appEnv, ...env }, ctx.releaseDir),
    };
    const wrapped = ctx.sandbox ? await ctx.sandbox.wrap(plain, "step") : plain;
    const output: string[] = [];
    const keep = (line: string) => {
      if (output.length < AHEAD_OUTPUT_LINES) output.push(line);
    };
    const result = await runCommand(wrapped, {
      onOutput: (_stream, lines) => forEachLine(linesText(lines), keep),
      timeoutMs: Math.max(deadline - Date.now(), 1),
      signal,
    });
    if (result.aborted || result.timedOut) throw new Error(`${step.name}'s read-ahead stopped`);
    return { exitCode: result.exitCode, output };
  };
  const result = step.readAhead!({ ...ctx, signal, capture }).catch((error: unknown) => {
    // The message only: a failed command's error carries its output, which is the app's.
    const reason = error instanceof Error ? error.message : String(error);
    ctx.logger.warn({ step: step.name, reason }, "read-ahead failed; the step does it itself");
    return null;
  });
  return { name: step.name, result, stop };
}

const AHEAD_OUTPUT_LINES = 2_000;

type Outcome = Omit<StepEnd, "durationMs">;

async function runStep(
  ctx: PipelineContext,
  step: Step,
  readAhead: Promise<unknown> | null,
): Promise<PipelineResult> {
  const key = { ...attemptOf(ctx), name: step.name };
  const logger = ctx.logger.child({ step: step.name });
  const started = performance.now();
  const timeoutMs = stepTimeoutMs(ctx, step.name);
  const deadline = Date.now() + timeoutMs;
  const { id: stepId } = await startStep(ctx.db, key);
  ctx.onStepChange?.({ step: step.name, status: "running" });
  const log = new StepLog(ctx.db, { ...attemptOf(ctx), stepId }, ctx.secrets, DEFAULT_LOG_LIMITS);
  // The command's own output, as bytes, read only if the step fails.
  const classifier = await SpooledClassifier.open(
    isFailureStep(step.name) ? step.name : "runtime",
    {
      dir: path.join(ctx.config.dataDir, "spool"),
      limitBytes: ctx.config.stepSpoolBytes,
      secrets: ctx.secrets,
      logger,
    },
  );
  const commands: string[] = [];
  let last: { exitCode: number | null; signal: string | null } = { exitCode: null, signal: null };
  logger.info("step started");
  // Waited for within the step: its time counts in the step's, and within its time limit.
  const aheadResult = (await readAhead) ?? null;

  const stepCtx: StepContext = {
    ...ctx,
    logger,
    say: (line) => log.write("system", line),
    appOutput: (line) => {
      log.write("stdout", line);
      classifier.write(Buffer.from(`${line}\n`));
    },
    noteCommand: (command) => commands.push(command),
    warn: async (warning) => {
      log.write("system", `warning: ${warning}`);
      logger.warn({ warning }, "deploy warning");
      await addWarning(ctx.db, ctx.deployment.id, warning);
    },
    sh: (commandLine, options) => runApp("sh", ["-c", commandLine], options, commandLine),
    readAhead: aheadResult,
    run: (file, args, options) => runApp(file, args, options),
  };

  async function runApp(
    file: string,
    args: readonly string[],
    { failureCode, env = {}, onLine, privateHome }: RunOptions,
    command = displayCommand(file, args),
  ): Promise<void> {
    commands.push(command);
    log.write("system", `$ ${command}`);
    // A host-side step (git at checkout) gets the fixed host environment: none of the app's
    // variables, which only ever reach the app's own commands (in the box, past its launcher).
    const plain = {
      file,
      args,
      cwd: ctx.releaseDir,
      env: step.outsideSandbox
        ? { ...hostEnv(), ...env }
        : childEnv({ ...ctx.appEnv, ...env }, ctx.releaseDir),
    };
    const sandbox = step.outsideSandbox ? null : ctx.sandbox;
    const wrapped = sandbox ? await sandbox.wrap(plain, "step", { privateHome }) : plain;
    const result = await runCommand(wrapped, {
      onOutput: stepOutputSink(log, classifier, onLine),
      stdoutFile: classifier.stdoutFile,
      timeoutMs: Math.max(deadline - Date.now(), 1),
      signal: ctx.signal,
      // So the worker that takes over from this one, should it die, can stop what it left.
      onSpawn: (pgid) => {
        recordStepProcess(ctx.db, key, { pgid, startTicks: processStartTicks(pgid) }).catch(
          (error) => logger.warn({ err: error }, "could not record the step's process group"),
        );
      },
    });
    last = result;
    if (result.aborted) throw new StepInterrupted(interruptionOf(ctx.signal));
    if (result.timedOut) {
      throw new StepFailure(
        "STEP_TIMEOUT",
        `${step.name} ran longer than ${Math.round(timeoutMs / 1000)}s and was stopped`,
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
  }

  let end: Outcome;
  let result: PipelineResult;
  let releaseAsBefore = false;
  const notRun = ctx.notRun.get(step.name);
  try {
    if (notRun !== undefined) await step.restore?.(stepCtx);
    const outcome: StepOutcome =
      notRun === undefined ? await step.run(stepCtx) : { status: "skipped", reason: notRun };
    end =
      outcome.status === "skipped"
        ? { status: "skipped", skipReason: outcome.reason }
        : { status: "succeeded" };
    releaseAsBefore = outcome.status === "succeeded" && outcome.releaseAsBefore === true;
    result = { status: "succeeded" };
  } catch (thrown) {
    ({ end, result } = await describeFailure(step.name, thrown, log, classifier, logger));
    if (result.status === "failed" && result.hint.includes("--project <project>")) {
      // A fix that is a command for this project names it.
      const hint = result.hint.replaceAll(
        "--project <project>",
        `--project ${ctx.deployment.project}`,
      );
      result = { ...result, hint };
      if (end.status === "failed") end = { ...end, hint };
    }
    if (result.status === "failed" && !ctx.app.config.install) {
      // The catalogue's hints say npm; an app installed with another package manager is told its own.
      const plan = await installCommand(ctx.releaseDir).catch(() => null);
      if (plan) {
        const hint = hintForPackageManager(result.hint, plan);
        result = { ...result, hint };
        if (end.status === "failed") end = { ...end, hint };
      }
    }
  } finally {
    await classifier.close();
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
  ctx.onStepChange?.({ step: step.name, status: end.status });
  logger.info(
    { status: end.status, durationMs: Math.round(performance.now() - started) },
    "step ended",
  );
  // What the step left in the release directory, so a retry or rollback can tell it is intact.
  if (end.status === "succeeded" && step.changesRelease && !releaseAsBefore) {
    const fingerprint = await releaseFingerprint(ctx.releaseDir);
    await recordReleaseFingerprint(ctx.db, ctx.deployment.id, step.name, fingerprint);
  }
  return result;
}

async function describeFailure(
  stepName: string,
  thrown: unknown,
  log: StepLog,
  classifier: SpooledClassifier,
  logger: PipelineContext["logger"],
): Promise<{ end: Outcome; result: PipelineResult }> {
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
          { cause: thrown },
        );
  if (!(thrown instanceof StepFailure))
    logger.error({ err: thrown }, "step raised an unexpected error");

  const classified = await classifier.classify({
    exitCode: failure.facts.exitCode ?? null,
    signal: failure.facts.signal ?? null,
  });
  // A code that only says which step failed gives way to the cause the log names.
  const refine = onlyNamesStep(failure.code) && classified.code !== "UNKNOWN";
  const code = refine ? classified.code : failure.code;
  const hint = refine ? classified.hint : failure.hint;
  const found = classified.evidence[0];
  const decisive = classified.evidence.map((line) => line.text).join("\n");
  const evidence =
    failure.facts.evidence ?? (found ? decisive : (log.evidence() ?? failure.detail));
  log.write("system", failure.message);
  return {
    end: {
      status: "failed",
      errorCode: code,
      hint,
      evidence,
      evidenceLine: failure.facts.evidence ? null : (found?.line ?? null),
      exitCode: failure.facts.exitCode ?? null,
      signal: failure.facts.signal ?? null,
    },
    result: {
      status: "failed",
      step: stepName,
      code,
      hint,
      retryable: refine ? classified.retryable : failure.retryable,
    },
  };
}

function attemptOf(ctx: PipelineContext) {
  return { deploymentId: ctx.deployment.id, attempt: ctx.deployment.attempt };
}

/** The step's time limit: coduck.json `timeouts.<step>` when set, else the worker's default. */
function stepTimeoutMs(ctx: PipelineContext, step: string): number {
  const seconds = (ctx.app.config.timeouts as Record<string, number | undefined> | undefined)?.[
    step
  ];
  return seconds ? seconds * 1000 : ctx.config.stepTimeoutMs;
}
