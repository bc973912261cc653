import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// npm, pnpm, yarn (classic and berry) and bun: what a frozen install, the resolver and the
// script runner print when they give up.
export const PACKAGE_MANAGER_RULES: readonly EvidenceRule[] = [
  // A frozen install refuses a lock file that does not match package.json, or finds none.
  {
    code: "LOCKFILE_OUT_OF_SYNC",
    evidence: "code",
    pattern:
      /can only install packages when your package\.json and package-lock\.json|can only install with an existing package-lock\.json|Missing: \S+ from lock file|Invalid: lock file's \S+ does not satisfy|ERR_PNPM_\w{0,64}LOCKFILE|pnpm-lock\.yaml is (?:not up to date|absent)|Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`|The lockfile would have been modified by this install, which is explicitly forbidden|lockfile had changes, but lockfile is frozen/i,
  },

  // The resolver: a package or version that does not exist, a peer conflict, a registry refusal.
  {
    code: "DEPENDENCY_RESOLUTION_FAILED",
    evidence: "code",
    role: "detail",
    pattern: /^npm (?:error|ERR!) code (?:E404|ETARGET|ERESOLVE|E401|E403|EBADENGINE)\b/,
  },
  {
    code: "DEPENDENCY_RESOLUTION_FAILED",
    evidence: "code",
    variant: "peer-conflict",
    pattern:
      /ERESOLVE (?:unable to resolve|could not resolve)|Could not resolve dependency:|Conflicting peer dependency|ERR_PNPM_PEER_DEP_ISSUES/i,
  },
  {
    code: "DEPENDENCY_RESOLUTION_FAILED",
    pattern:
      /\b404 Not Found - GET https?:|is not in (?:this|the npm) registry|The requested resource '[^']+' could not be found|ERR_PNPM_FETCH_40[134]|ERR_PNPM_NO_MATCHING_VERSION|No matching version found for|\bnotarget\b|Couldn't find any versions for|Couldn't find package "[^"]+"(?: required by "[^"]+")? on the "[^"]+" registry|No candidates found|ERR_PNPM_NO_VERSIONS|\b40[13] (?:Unauthorized|Forbidden) - GET https?:|Request failed \\?"404 Not Found|An unexpected error occurred: "[^"]*: Not found/i,
  },

  // The script runner: a script package.json does not have.
  {
    code: "MISSING_SCRIPT",
    pattern:
      /Missing script: |ERR_PNPM_NO_SCRIPT|^error Command "[^"]+" not found|Couldn't find a script named|Script not found "/i,
  },

  // Anything else a package manager reports as an error; its own trailers say nothing new.
  {
    code: STEP_FAILED,
    pattern:
      /^npm (?:error|ERR!) (?!code \S+\s*$|errno |path |command |signal |A complete log|Log files were not written|workspace |location |Lifecycle script |syscall |Did you mean|To see a list|\s)\S|^\s*ERR_PNPM_(?!RECURSIVE_(?:RUN|EXEC)_FIRST_FAIL)\w+|^error (?!Command failed with (?:exit code|signal))\S/,
  },
];
