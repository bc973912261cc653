import type { Config } from "../config.js";
import type { FailureCode } from "../failures/codes.js";
import type { Logger } from "../logger.js";
import type { Keyring } from "../secrets/keyring.js";
import type { Db } from "../store/prisma.js";

/** What every step of one deploy attempt shares. */
export type PipelineContext = {
  db: Db;
  config: Config;
  keyring: Keyring;
  logger: Logger;
  deployment: { id: string; project: string; repoUrl: string; ref: string };
  /** The fresh directory this attempt checks the app out into. */
  releaseDir: string;
  /** Variables every app command gets, beyond the basics (see exec/child-env); steps add to it. */
  appEnv: Record<string, string>;
  /** Values that must never appear in a stored log line; steps add to it. */
  secrets: string[];
  /** Aborted when the deploy must stop now: cancellation, or a worker shutting down. */
  signal: AbortSignal;
};

/** What one step receives: the shared context, plus its own log and command runner. */
export type StepContext = PipelineContext & {
  /** Writes a line of the platform's own into the step's log. */
  say(line: string): void;
  /**
   * Runs a command of the app's in the release directory, streaming its output into the step
   * log. Resolves when it exits 0; otherwise throws a StepFailure with `failureCode`.
   */
  run(file: string, args: readonly string[], failureCode: FailureCode): Promise<void>;
  warn(warning: string): Promise<void>;
};

export type StepOutcome = { status: "succeeded" } | { status: "skipped"; reason: string };

export type Step = {
  name: string;
  run(ctx: StepContext): Promise<StepOutcome>;
};
