import { LOGGED_CONNECTION_ERRNOS } from "../../connection-errors.js";
import { anyOf } from "./any-of.js";
import type { EvidenceRule } from "./rule.js";
import { thenLater } from "./then-later.js";

const CONNECTION_ERRNO = anyOf(LOGGED_CONNECTION_ERRNOS);
const ERRNO_WORD = `\\b(?:${CONNECTION_ERRNO})\\b`;
const URL_START = "https?://\\S";

// Failed connections. Fetching code and packages, a failure is the network's (and a retry
// helps); once the app runs, the peer it cannot reach without a URL is its database, when a
// database client is what failed.
export const NETWORK_RULES: readonly EvidenceRule[] = [
  {
    code: "NETWORK_ERROR",
    steps: ["checkout", "install", "build", "schema"],
    pattern: new RegExp(
      `(?:request to|GET|fetch(?:ing)?) https?://\\S+ failed|${thenLater(ERRNO_WORD, "https?://")}|${thenLater(URL_START, ERRNO_WORD)}`,
    ),
  },
  {
    code: "NETWORK_ERROR",
    steps: ["checkout", "install"],
    pattern: new RegExp(
      `\\b(?:${CONNECTION_ERRNO}|ERR_SOCKET_TIMEOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)\\b|^npm (?:error|ERR!) network |ERR_PNPM_META_FETCH_FAIL|ERR_PNPM_FETCH_5\\d\\d|\\b50[234] (?:Bad Gateway|Service Unavailable|Gateway Time-?out)\\b|socket hang up|Could not resolve host|Failed to connect to \\S+ port \\d+|The remote end hung up unexpectedly|Temporary failure in name resolution`,
    ),
  },
  // Only where a database client ran: the same errno from fetch() or a Redis client is
  // another peer's, which the app's own error names no better.
  {
    code: "DATABASE_UNREACHABLE",
    steps: ["build", "schema", "start", "runtime"],
    stack: "database",
    pattern: new RegExp(`^(?!.*https?://).*\\b(?:${CONNECTION_ERRNO})\\b`),
  },
];
