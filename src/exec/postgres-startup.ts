/**
 * The first bytes of a Postgres connection, read from an untrusted client: answers SSL and
 * GSS encryption requests with 'N' (the bridge is a local socket), and returns the startup
 * message once whole, with its user and database, so the caller can decide whether it may go
 * on to the server. Strictly bounded: at most MAX_STARTUP_BYTES are ever buffered, and
 * anything that is not protocol 3 is refused. Pure functions over bytes, no sockets.
 */

/** Postgres' own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_BYTES = 10_000;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
/** A client may ask for SSL and then GSS (or the reverse) before its startup message. */
const MAX_ENCRYPTION_REQUESTS = 2;

export type StartupRead =
  /** More bytes are needed. `reply` (when set) goes back to the client first. */
  | { kind: "more"; reply?: Buffer; rest: Buffer; encryptionRequests: number }
  /** A whole startup message: `packet` is what goes on to the server unchanged. */
  | { kind: "startup"; packet: Buffer; user: string; database: string; params: Map<string, string> }
  /** A cancel request (it carries a process id and secret key, no user): forwarded as is. */
  | { kind: "cancel"; packet: Buffer }
  | { kind: "refused"; reason: string };

/** Reads what the client sent so far (`buffer`); call again with more bytes while "more". */
export function readStartup(buffer: Buffer, encryptionRequests = 0): StartupRead {
  if (buffer.length < 8) return { kind: "more", rest: buffer, encryptionRequests };
  const length = buffer.readInt32BE(0);
  const code = buffer.readInt32BE(4);
  if (length < 8 || length > MAX_STARTUP_BYTES)
    return { kind: "refused", reason: "not a Postgres startup packet" };
  if (buffer.length > length && code !== SSL_REQUEST && code !== GSSENC_REQUEST)
    return { kind: "refused", reason: "data after the startup packet" };
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
    if (length !== 8 || encryptionRequests >= MAX_ENCRYPTION_REQUESTS)
      return { kind: "refused", reason: "not a Postgres startup packet" };
    return {
      kind: "more",
      reply: Buffer.from("N"),
      rest: buffer.subarray(8),
      encryptionRequests: encryptionRequests + 1,
    };
  }
  if (buffer.length < length) return { kind: "more", rest: buffer, encryptionRequests };
  if (code === CANCEL_REQUEST)
    return length === 16
      ? { kind: "cancel", packet: buffer }
      : { kind: "refused", reason: "malformed cancel request" };
  if (code >>> 16 !== 3) return { kind: "refused", reason: "unsupported protocol version" };
  const params = parseParams(buffer.subarray(8, length));
  if (!params) return { kind: "refused", reason: "malformed startup packet" };
  const user = params.get("user") ?? "";
  // Postgres' default when no database is named.
  const database = params.get("database") || user;
  return { kind: "startup", packet: buffer, user, database, params };
}

/** `name\0value\0 … \0`: null when it does not end where it should or repeats a name. */
function parseParams(body: Buffer): Map<string, string> | null {
  const params = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const nameEnd = body.indexOf(0, at);
    if (nameEnd < 0) return null;
    const valueEnd = body.indexOf(0, nameEnd + 1);
    if (valueEnd < 0) return null;
    const name = body.toString("utf8", at, nameEnd);
    if (params.has(name)) return null;
    params.set(name, body.toString("utf8", nameEnd + 1, valueEnd));
    at = valueEnd + 1;
  }
  return at === body.length - 1 ? params : null;
}

/** A FATAL ErrorResponse a Postgres client shows as the server's own error. */
export function errorResponse(sqlstate: string, message: string): Buffer {
  const fields = Buffer.concat(
    [
      ["S", "FATAL"],
      ["V", "FATAL"],
      ["C", sqlstate],
      ["M", message],
    ]
      .map(([type, value]) => Buffer.from(`${type}${value}\0`, "utf8"))
      .concat(Buffer.from([0])),
  );
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}
