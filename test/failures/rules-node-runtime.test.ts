import { classifyLines } from "./classify-helper.js";

const CRASH_TAIL = ["    at Object.<anonymous> (/app/server.js:14:18)", "", "Node.js v20.20.2"];

describe("node runtime evidence", () => {
  it("reads CommonJS and ESM module resolution failures", async () => {
    const cjs = await classifyLines("start", 1, [
      "Error: Cannot find module 'dotenv'",
      "Require stack:",
      "- /app/server.js",
      "  code: 'MODULE_NOT_FOUND',",
    ]);
    const esm = await classifyLines("start", 1, [
      "node:internal/errors:496",
      "    ErrorCaptureStackTrace(err);",
      "    ^",
      "",
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/app/dist/routes' imported from /app/dist/server.js",
      "  code: 'ERR_MODULE_NOT_FOUND',",
    ]);
    expect(cjs.code).toBe("MODULE_NOT_FOUND");
    expect(cjs.evidence).toEqual([{ line: 1, text: "Error: Cannot find module 'dotenv'" }]);
    expect(esm.code).toBe("MODULE_NOT_FOUND");
  });

  it("calls a handled database warning before EADDRINUSE a port in use", async () => {
    const result = await classifyLines("start", 1, [
      '[flags] table unavailable (relation "feature_flags" does not exist); flags default to off',
      "node:events:502",
      "      throw er; // Unhandled 'error' event",
      "Error: listen EADDRINUSE: address already in use :::3000",
      "  code: 'EADDRINUSE',",
      ...CRASH_TAIL,
    ]);
    expect(result.code).toBe("PORT_IN_USE");
    expect(result.runnerUp?.code).toBe("RELATION_DOES_NOT_EXIST");
  });

  it("lets an uncaught error at start outrank a database error logged and handled before it", async () => {
    const result = await classifyLines("start", 1, [
      '[cache] warm-up skipped: relation "cache_entries" does not exist',
      "server starting",
      "/app/server.js:14",
      "  app.use(router.middleware());",
      "                 ^",
      "",
      "TypeError: router.middleware is not a function",
      ...CRASH_TAIL,
    ]);
    expect(result.code).toBe("START_CRASHED");
    expect(result.evidence[0]?.text).toBe("TypeError: router.middleware is not a function");
  });

  it("is not fooled by lines that merely contain the word error", async () => {
    const result = await classifyLines("start", 1, [
      "[config] optional file not found, using defaults (no error)",
      "[redis] error handler registered",
      "errors: 0, warnings: 2",
      "Error: Missing required environment variable: STRIPE_SECRET_KEY",
      ...CRASH_TAIL,
    ]);
    expect(result.code).toBe("START_CRASHED");
    expect(result.evidence.map((e) => e.line)).toEqual([4]);
  });

  it("reads a bad port as a start crash of its own kind", async () => {
    const result = await classifyLines("start", 1, [
      "RangeError [ERR_SOCKET_BAD_PORT]: options.port should be >= 0 and < 65536. Received type number (NaN).",
    ]);
    expect(result).toMatchObject({ code: "START_CRASHED", variant: "bad-port" });
  });

  it("does not let runtime errors logged after a cause outrank it: the app keeps serving", async () => {
    const result = await classifyLines("runtime", null, [
      "GET /todos 500",
      'error: column "priority" does not exist',
      "GET /health 200",
      "TypeError: Cannot read properties of undefined (reading 'id')",
    ]);
    expect(result.code).toBe("SCHEMA_MISMATCH");
  });

  it("calls a start that exits 0 UNKNOWN: what it logged before, it handled", async () => {
    const result = await classifyLines("start", 0, [
      "[db] error: connect ECONNREFUSED 127.0.0.1:6432 (will retry)",
      "worker: ready",
    ]);
    expect(result).toMatchObject({ code: "UNKNOWN", evidence: [] });
    expect(result.runnerUp?.code).toBe("DATABASE_UNREACHABLE");
  });
});
