/**
 * The catalogue of failure codes: what a deploy reports when a step fails.
 * Each entry says what went wrong, what the user can do, and whether a retry can help.
 * Log-derived codes (from the failure corpus) join this list with the classifier.
 */
export const FAILURE_CODES = {
  CHECKOUT_FAILED: {
    title: "The repository or ref could not be checked out",
    hint: "Check that the repository URL is reachable by the platform and that the branch, tag or commit exists.",
    retryable: false,
    side: "user",
  },
  INSTALL_FAILED: {
    title: "Installing dependencies failed",
    hint: "Run the same install locally from a clean checkout (npm ci) and fix the first error it prints.",
    retryable: false,
    side: "user",
  },
  BUILD_FAILED: {
    title: "The build failed",
    hint: "Run `npm run build` locally from a clean checkout and fix the first error it prints.",
    retryable: false,
    side: "user",
  },
  STEP_TIMEOUT: {
    title: "The step ran past its time limit and was stopped",
    hint: "Look at the last lines of the step's log for what it was waiting on; a step that needs longer can be given a longer timeout.",
    retryable: false,
    side: "user",
  },
  CANCELLED: {
    title: "The deploy was cancelled",
    hint: "Nothing to fix: push again or retry the deploy when you want it.",
    retryable: false,
    side: "user",
  },
  WORKER_INTERRUPTED: {
    title: "The worker running the deploy stopped before the step finished",
    hint: "Nothing to fix on your side: the deploy is handed back to the queue and runs again.",
    retryable: true,
    side: "platform",
  },
  UNKNOWN: {
    title: "The step failed without a recognisable error",
    hint: "Read the end of the step's log; if it shows nothing, run the same command locally.",
    retryable: false,
    side: "user",
  },
} as const satisfies Record<string, FailureCodeEntry>;

type FailureCodeEntry = {
  title: string;
  hint: string;
  retryable: boolean;
  side: "user" | "platform";
};

export type FailureCode = keyof typeof FAILURE_CODES;
