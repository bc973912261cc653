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
  AheadResult,
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
  let ranAhead: AheadResult | null = null;
  for (const [index, step] of steps.entries()) {
    // The next step's command run ahead, beside this step's first app command (Step.readAhead).
    const next = steps[index + 1];
    const ahead: Ahead | null =
      next?.readAhead && !ctx.notRun.has(next.name)
        ? { step: next, tried: false, result: null }
        : null;
    const result = await runStep(ctx, step, ranAhead, ahead);
    ranAhead = ahead?.result ?? null;
    if (result.status === "succeeded") continue;
    if (result.status === "failed") {
      await skipPendingSteps(ctx.db, attemptOf(ctx), `not run: ${step.name} failed`);
    }
    return result;
  }
  return { status: "succeeded" };
}

function errorCode(error: unknown): string {
  return String((error as NodeJS.ErrnoException)?.code ?? (error as Error)?.name ?? "unknown");
}

/** The next step's read-ahead, for the step it runs beside: tried once, at its first app command. */
type Ahead = { step: Step; tried: boolean; result: AheadResult | null };

/** At most this long: what a read-ahead runs is a second's work. */
const AHEAD_TIMEOUT_MS = 60_000;
/** How long a read-ahead may go on once the command it runs beside has ended well. */
const AHEAD_GRACE_MS = 5_000;
const AHEAD_OUTPUT_LINES = 2_000;

/**
 * Plans `ahead`'s command (worker-side, while no app command runs) and starts it in the box.
 * `finish(stop)` stops it, at once when asked (the command beside it failed), else once it is
 * AHEAD_GRACE_MS late, and waits for its end: the read-ahead's result, or null when it was not
 * planned, failed to start, or was stopped. Beside the step's command, the app has two boxes'
 * limits for that long.
 */
async function startAhead(
  ctx: PipelineContext,
  ahead: Ahead,
): Promise<{ finish(stop: boolean): Promise<AheadResult | null> } | null> {
  ahead.tried = true;
  const name = ahead.step.name;
  const planned = await ahead.step.readAhead!(ctx).catch((error: unknown) => {
    // Its code only: a message may quote the app's files (a JSON parse error does).
    ctx.logger.warn(
      { step: name, code: errorCode(error) },
      "read-ahead not planned; the step does it itself",
    );
    return null;
  });
  if (!planned || !ctx.sandbox) return null;
  const stop = new AbortController();
  const plain = {
    file: planned.file,
    args: planned.args,
    cwd: ctx.releaseDir,
    env: childEnv({ ...ctx.appEnv, ...planned.env }, ctx.releaseDir),
  };
  const output: string[] = [];
  const keep = (line: string) => {
    if (output.length < AHEAD_OUTPUT_LINES) output.push(line);
  };
  const done = ctx.sandbox
    .wrap(plain, "step")
    .then((wrapped) =>
      runCommand(wrapped, {
        onOutput: (_stream, lines) => forEachLine(linesText(lines), keep),
        timeoutMs: Math.min(AHEAD_TIMEOUT_MS, stepTimeoutMs(ctx, name)),
        signal: AbortSignal.any([ctx.signal, stop.signal]),
      }),
    )
    .then((ended): AheadResult | null => {
      if (ended.aborted || ended.timedOut) {
        ctx.logger.warn({ step: name }, "read-ahead stopped; the step does it itself");
        return null;
      }
      return { plan: planned.plan, exitCode: ended.exitCode, output };
    })
    .catch((error: unknown) => {
      ctx.logger.warn(
        { step: name, code: errorCode(error) },
        "read-ahead failed; the step does it itself",
      );
      return null;
    });
  return {
    async finish(stopIt) {
      if (!stopIt) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, AHEAD_GRACE_MS);
        });
        await Promise.race([done, late]).finally(() => clearTimeout(timer));
      }
      stop.abort();
      return done;
    },
  };
}

type Outcome = Omit<StepEnd, "durationMs">;

async function runStep(
  ctx: PipelineContext,
  step: Step,
  ranAhead: AheadResult | null,
  ahead: Ahead | null,
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
    readAhead: ranAhead,
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
    let ok = false;
    let result: Awaited<ReturnType<typeof runCommand>>;
    let beside: Awaited<ReturnType<typeof startAhead>> = null;
    try {
      const wrapped = sandbox ? await sandbox.wrap(plain, "step", { privateHome }) : plain;
      // The next step's read-ahead, beside this step's first app command in the box (planned
      // once the release is handed over, the first wrap's work); never beside an install with
      // a HOME of its own, whose tree is kept because nothing else could reach it.
      if (ahead && !ahead.tried && sandbox && privateHome === undefined)
        beside = await startAhead(ctx, ahead);
      result = await runCommand(wrapped, {
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
      ok = result.exitCode === 0;
    } finally {
      // Over when this command is: the step goes on (worker-side) with no app process alive.
      if (beside && ahead) ahead.result = await beside.finish(!ok);
    }
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
