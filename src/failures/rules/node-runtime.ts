import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// Node.js itself: module resolution, listening, and the header line of an uncaught error.
export const NODE_RUNTIME_RULES: readonly EvidenceRule[] = [
  { code: "PORT_IN_USE", pattern: /\bEADDRINUSE\b|address already in use/i },

  {
    code: "MODULE_NOT_FOUND",
    pattern:
      /Cannot find module ['"][^'"]+['"]|\bERR_MODULE_NOT_FOUND\b|Cannot find package ['"][^'"]+['"]|unable to determine transport target for|\bERR_UNSUPPORTED_DIR_IMPORT\b|Module not found: (?:Error: )?Can't resolve|Could not resolve:? ["'][^"']+["']|[Ff]ailed to resolve import|Failed to resolve entry for package/,
  },
  { code: "MODULE_NOT_FOUND", role: "detail", pattern: /\bcode:\s*'MODULE_NOT_FOUND'/ },

  {
    code: "START_CRASHED",
    variant: "bad-port",
    steps: ["start", "runtime"],
    pattern: /\bERR_SOCKET_BAD_PORT\b|\blisten EACCES\b|options\.port should be >= 0 and < 65536/,
  },

  // An uncaught error: `TypeError: …`, `Error [ERR_X]: …`, node-postgres' `error: …`, at the
  // start of its line; `[Error: …]` as Node prints an error without a stack (Next.js does);
  // Node refusing to start (`node: bad option: …`, `node: .env: not found`).
  {
    code: STEP_FAILED,
    crash: true,
    pattern:
      /^(?:Uncaught )?[A-Z]?[\w$]*(?:Error|Exception)(?: \[[\w-]+\])?:(?:\s|$)|^error: \S|^\[[A-Z]?[\w$]*(?:Error|Exception): |^node: \S/,
  },
  // A structured logger's (pino's, bunyan's) fatal line: the process ends with it; and its
  // error line, logged.
  { code: STEP_FAILED, crash: true, pattern: /"level": ?(?:60|"fatal")[,}]/ },
  { code: STEP_FAILED, pattern: /"level": ?(?:50|"error")[,}]/ },
  // The same header inside a log line (`request failed: TypeError: …`): logged, maybe handled.
  {
    code: STEP_FAILED,
    pattern:
      /[\s:\]│|]Uncaught [A-Z]\w*|[\s:\]│|][A-Z][\w$]*(?:Error|Exception)(?: \[[\w-]+\])?: \S/,
  },
];
