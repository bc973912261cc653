import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// npm, pnpm, yarn (classic and berry) and bun: what a frozen install, the resolver and the
// script runner print when they give up.
export const PACKAGE_MANAGER_RULES: readonly EvidenceRule[] = [
  // A frozen install refuses a lock file that does not match package.json, or finds none.
  {
    code: "LOCKFILE_OUT_OF_SYNC",
    evidence: "code",
    pattern:
      /can only install packages when your package\.json and package-lock\.json|can only install with an existing package-lock\.json|Missing: \S+ from lock file|Invalid: lock file's \S+ does not satisfy|ERR_PNPM_\w{0,64}LOCKFILE|pnpm-lock\.yaml is (?:not up to date|absent)|Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`|The lockfile would have been (?:modified|created) by this install, which is explicitly forbidden|lockfile had changes, but lockfile is frozen/i,
  },

  // The resolver: a package or version that does not exist, a peer conflict, a registry refusal.
  {
    code: "DEPENDENCY_RESOLUTION_FAILED",
    evidence: "code",
    role: "detail",
    pattern: /^npm (?:error|ERR!) code (?:E404|ETARGET|ERESOLVE|E401|E403)\b/,
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

  // bun's resolver: a version that does not exist, a package the registry does not have.
  //   error: No version matching "^5.0.0" found for specifier "zod" (but package exists)
  //   error: GET https://registry.npmjs.org/@acme-internal%2fui-kit - 404
  //   error: zod@^5.0.0 failed to resolve
  {
    code: "DEPENDENCY_RESOLUTION_FAILED",
    evidence: "code",
    pattern:
      /No version matching "[^"]{0,100}" found for specifier|^error: GET https?:\/\/\S{1,500} - 40[134]\s*$|^error: @?[\w./-]{1,214}@\S{0,100} failed to resolve\s*$/,
  },

  // A package (or the app) that needs another Node: an engine check npm (engine-strict),
  // pnpm or yarn make fatal. Not a resolution failure: the versions exist.
  {
    code: "INSTALL_FAILED",
    evidence: "code",
    variant: "node-engine",
    steps: ["install"],
    pattern:
      /^npm (?:error|ERR!) code EBADENGINE\b|^npm (?:error|ERR!) (?:engine|notsup) (?:Unsupported engine|Not compatible with your version of node)|ERR_PNPM_UNSUPPORTED_ENGINE|The engine "node" is incompatible with this module/,
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
