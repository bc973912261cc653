/**
 * The error codes that mean a connection, not what was sent on it, failed: the peer could not
 * be reached, or went away. One table for every place that tells them apart: the worker's own
 * database pool (retry), provisioning (DATABASE_UNREACHABLE, retried), and the failure rules
 * that read them in an app's log.
 */

/** Node's system error codes (errno) for a connection that could not be made or was cut. */
export const CONNECTION_ERRNOS = [
  "ECONNRESET", // the peer reset the connection
  "ETIMEDOUT", // connecting (or a read) timed out
  "ESOCKETTIMEDOUT", // the same, in the words of request-style HTTP clients
  "EAI_AGAIN", // name resolution failed for now
  "ECONNREFUSED", // nothing listens at the address
  "ENOTFOUND", // the host name does not resolve
  "ENETUNREACH", // no route to the network
  "EHOSTUNREACH", // no route to the host
  "EPIPE", // a write on a connection the peer had already closed
] as const;

/**
 * The errnos a log line names for a failed connection. Not EPIPE: in a log it as often means a
 * closed pipe to a child process ("write EPIPE"), so a line naming it says nothing of the network.
 */
export const LOGGED_CONNECTION_ERRNOS = CONNECTION_ERRNOS.filter((code) => code !== "EPIPE");

/**
 * Postgres's SQLSTATEs for the same: class 08's connection exceptions (not 08007, whose
 * transaction may have committed, nor 08P01, a protocol violation a retry does not mend), and
 * 57P01-57P03, a server shutting down, restarting or not yet accepting connections.
 */
export const CONNECTION_SQLSTATES = [
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
  "08006", // connection_failure
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
] as const;

const CONNECTION_CODES: ReadonlySet<string> = new Set([
  ...CONNECTION_ERRNOS,
  ...CONNECTION_SQLSTATES,
]);

/** Whether an error's `code` (an errno or a SQLSTATE) says the connection itself failed. */
export function isConnectionErrorCode(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}
