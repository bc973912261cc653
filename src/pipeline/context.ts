import type { CoduckJson } from "../apps/coduck-json.js";
import type { Config } from "../config.js";
import type { Sandbox } from "../exec/sandbox.js";
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
  deployment: {
    id: string;
    /** This attempt's number: the fencing token of its writes (see store/stale-attempt). */
    attempt: number;
    projectId: string;
    project: string;
    repoUrl: string;
    ref: string;
  };
  /** What the app says about itself; `checkout` fills it from coduck.json. */
  app: { config: CoduckJson };
  /** The fresh directory this attempt checks the app out into. */
  releaseDir: string;
  /** The box app commands run in (install, build, schema, start); null: none on this machine. */
  sandbox: Sandbox | null;
  /** Variables every app command gets, beyond the basics (see exec/child-env); steps add to it. */
  appEnv: Record<string, string>;
  /** Values that must never appear in a stored log line; steps add to it. */
  secrets: string[];
  /**
   * Steps this attempt does not run, with the reason recorded on each: a retry or rollback
   * reusing an earlier release's results (the step's `restore` puts its part of the context
   * back), or a rollback leaving the schema alone.
   */
  notRun: ReadonlyMap<string, string>;
  /** Aborted when the deploy must stop now: cancellation, or a worker shutting down. */
  signal: AbortSignal;
  /** Told once each step's start and each step's end are recorded (see StepChanged). */
  onStepChange?: StepChanged;
};

/**
 * Hears that a step's row changed, after the change is committed: the worker passes it on as
 * an event (`coduck-worker deploy --wait` follows them). Called without waiting; it must not
 * throw.
 */
export type StepChanged = (change: { step: string; status: string }) => void;

/** What one step receives: the shared context, plus its own log and command runner. */
export type StepContext = PipelineContext & {
  /** Writes a line of the platform's own into the step's log. */
  say(line: string): void;
  /** Writes a line the app printed (outside `run`) into the step's log. */
  appOutput(line: string): void;
  /** Records a command the step ran by other means than `run` (the step row shows it). */
  noteCommand(command: string): void;
  /**
   * Runs a command of the app's in the release directory, streaming its output into the step
   * log. Resolves when it exits 0; otherwise throws a StepFailure with `failureCode`.
   */
  run(file: string, args: readonly string[], options: RunOptions): Promise<void>;
  /** Runs a command line of the app's own (from coduck.json or a script) through `sh -c`. */
  sh(commandLine: string, options: RunOptions): Promise<void>;
  warn(warning: string): Promise<void>;
  /** How the step's command run ahead ended; null when none ran. */
  readAhead: AheadResult | null;
};

export type RunOptions = {
  /** The code a non-zero exit fails the step with. */
  failureCode: FailureCode;
  /** Variables for this command on top of the app's (they win). */
  env?: Record<string, string>;
  /** Sees every line the command prints, as it prints it. */
  onLine?: (line: string) => void;
  /** A HOME of the command's own inside the release, instead of the project's (Sandbox.wrap). */
  privateHome?: string;
};

/**
 * A command a step has run ahead (Step.readAhead): in the box, beside the first command of the
 * step before it.
 */
export type AheadCommand = {
  file: string;
  args: string[];
  /** Variables on top of the app's. */
  env: Record<string, string>;
  /** What the step will need with the command's result, taken when it was planned. */
  plan: unknown;
};

/** How a command run ahead ended: its plan, exit code and output (at most a few thousand lines). */
export type AheadResult = { plan: unknown; exitCode: number | null; output: string[] };

export type StepOutcome =
  | {
      status: "succeeded";
      /**
       * The step ran nothing meant to write the release (its platform files aside): the
       * fingerprint taken after the step before it stands, and is not taken again (a walk of
       * every file: a node_modules of 20,000 files takes a quarter of a second). A file written
       * anyway shows at reuse as a changed directory, so nothing is reused from it.
       */
      releaseAsBefore?: true;
    }
  | { status: "skipped"; reason: string };

export type Step = {
  name: string;
  /** The step runs only the worker's own tools (git), on paths the sandbox would not show. */
  outsideSandbox?: true;
  run(ctx: StepContext): Promise<StepOutcome>;
  /** The step writes the release directory: its result is fingerprinted, so it can be reused. */
  changesRelease?: boolean;
  /** When the step's result is reused from a copied release: restores what it adds to the context. */
  restore?(ctx: StepContext): Promise<void>;
  /**
   * A command of this step's that changes nothing of the release (but its own output under
   * .coduck/) or of the database, run ahead: planned (worker-side) and started just before the
   * first app command of the step before this one, beside it, and waited for when that command
   * ends, so that no app process is alive while the worker reads or writes the release on its
   * own. Its result reaches run() as `ctx.readAhead`; run() checks that what it was made from
   * is still so. Never beside an install with a HOME of its own (see Sandbox.sealed).
   */
  readAhead?(ctx: PipelineContext): Promise<AheadCommand | null>;
};
