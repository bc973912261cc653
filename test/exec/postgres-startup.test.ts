import { errorResponse, MAX_STARTUP_BYTES, readStartup } from "../../src/exec/postgres-startup.js";

// The database bridge reads a box's first bytes with this: hostile input, so every malformed
// or oversized packet must be refused, never waited on without bound or misread.
function startup(params: Record<string, string>, version = 196608): Buffer {
  const body = Buffer.concat([
    ...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(body.length + 8, 0);
  head.writeInt32BE(version, 4);
  return Buffer.concat([head, body]);
}
const request = (code: number) => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(code, 4);
  return b;
};

it("reads user and database from a whole startup message", () => {
  const packet = startup({ user: "app", database: "appdb", application_name: "x" });
  expect(readStartup(packet)).toMatchObject({ kind: "startup", user: "app", database: "appdb" });
  // No database named: Postgres uses the user's name.
  expect(readStartup(startup({ user: "app" }))).toMatchObject({ database: "app" });
});

it("waits for more bytes while the packet is incomplete, byte by byte", () => {
  const packet = startup({ user: "app", database: "appdb" });
  for (let n = 0; n < packet.length; n++)
    expect(readStartup(packet.subarray(0, n)).kind).toBe("more");
});

it("answers SSL and GSS encryption requests with N, at most twice", () => {
  const ssl = readStartup(request(80877103));
  expect(ssl).toMatchObject({ kind: "more", reply: Buffer.from("N"), encryptionRequests: 1 });
  const then = Buffer.concat([request(80877104), startup({ user: "a" })]);
  const gss = readStartup(then, 1);
  expect(gss).toMatchObject({ kind: "more", encryptionRequests: 2 });
  if (gss.kind !== "more") throw new Error("unreachable");
  expect(readStartup(gss.rest, 2)).toMatchObject({ kind: "startup", user: "a" });
  expect(readStartup(request(80877103), 2).kind).toBe("refused");
});

it("refuses what is not a protocol 3 startup message", () => {
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(MAX_STARTUP_BYTES + 1, 0);
  expect(readStartup(huge).kind).toBe("refused");
  const tiny = Buffer.alloc(8);
  tiny.writeInt32BE(4, 0);
  expect(readStartup(tiny).kind).toBe("refused");
  expect(readStartup(startup({ user: "a" }, 131072)).kind).toBe("refused");
  // Unterminated, repeated or trailing parameters.
  expect(readStartup(unterminated(startup({ user: "a" }))).kind).toBe("refused");
  expect(readStartup(withBody("user\0a\0user\0b\0\0")).kind).toBe("refused");
  expect(readStartup(withBody("user\0a\0\0junk")).kind).toBe("refused");
  expect(readStartup(Buffer.concat([startup({ user: "a" }), Buffer.from("Q")])).kind).toBe(
    "refused",
  );
});

it("passes a cancel request on as it is", () => {
  const cancel = Buffer.alloc(16);
  cancel.writeInt32BE(16, 0);
  cancel.writeInt32BE(80877102, 4);
  expect(readStartup(cancel)).toEqual({ kind: "cancel", packet: cancel });
});

it("builds an ErrorResponse a client reads as FATAL with the SQLSTATE", () => {
  const error = errorResponse("28000", "no");
  expect(error.subarray(0, 1).toString()).toBe("E");
  expect(error.readInt32BE(1)).toBe(error.length - 1);
  expect(error.toString()).toContain("C28000\0Mno\0\0");
});

/** A packet whose last byte (the parameters' terminator) is replaced by a name without end. */
function unterminated(packet: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy[copy.length - 1] = 0x61;
  return copy;
}

function withBody(body: string): Buffer {
  const bytes = Buffer.from(body);
  const head = Buffer.alloc(8);
  head.writeInt32BE(bytes.length + 8, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, bytes]);
}
