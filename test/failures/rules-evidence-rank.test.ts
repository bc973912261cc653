import { pickEvidence } from "../../src/failures/pick-evidence.js";
import { classifyLines } from "./classify-helper.js";

// The decisive line is chosen by the kind of evidence it is (an error code over a sentence
// over a bare error; a banner never), then by where it is. Lines are from captured failures.
describe("evidence ranked by its kind", () => {
  it('never takes Next.js\'s "Failed to compile." banner over the error it summarises', async () => {
    const result = await classifyLines("build", 1, [
      "> shop-web@0.1.0 build",
      "> next build",
      "   Creating an optimized production build ...",
      "Failed to compile.",
      "",
      "./app/page.tsx",
      "Module not found: Can't resolve '@/lib/cart'",
      "",
      "https://nextjs.org/docs/messages/module-not-found",
      "",
      "> Build failed because of webpack errors",
    ]);
    expect(result.code).toBe("MODULE_NOT_FOUND");
    expect(result.evidence.map((e) => e.text)).toEqual([
      "Module not found: Can't resolve '@/lib/cart'",
    ]);
  });

  it("reads a banner alone as the step's failure", async () => {
    const result = await classifyLines("install", 2, [
      "> orders-api@1.4.0 postinstall",
      "> node scripts/patch.cjs",
      "patch: hunk 2 of assets/app.css.patch does not apply",
      "npm error code 2",
      "npm error path /app",
      "npm error command failed",
      "npm error command sh -c node scripts/patch.cjs",
    ]);
    expect(result.code).toBe("INSTALL_FAILED");
  });

  it("keeps Prisma's P1012 when its message follows as `error: …` lines", async () => {
    const result = await classifyLines("schema", 1, [
      "Prisma schema loaded from prisma/schema.prisma",
      "Error: Prisma schema validation - (get-dmmf wasm)",
      "Error code: P1012",
      '\x1b[1;91merror\x1b[0m: \x1b[1mType "JSONB" is neither a built-in type, nor refers to another model, composite type, or enum.\x1b[0m',
      "  \x1b[1;94m-->\x1b[0m  \x1b[4mprisma/schema.prisma:16\x1b[0m",
      "",
      "Validation Error Count: 1",
      "[Context: getDmmf]",
      "",
      "Prisma CLI Version : 6.19.3",
    ]);
    expect(result.code).toBe("PRISMA_SCHEMA_INVALID");
  });

  it("takes PgBouncer's query_wait_timeout over the dropped connection that follows it", async () => {
    const result = await classifyLines("runtime", 1, [
      '{"level":50,"time":1796600718785,"pid":21667,"hostname":"vm","name":"shop","err":{"type":"DatabaseError","message":"query_wait_timeout","stack":"error: query_wait_timeout\\n    at /app/node_modules/pg/lib/client.js:694:17\\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\\n    at async PostgresConnection.executeQuery (/app/node_modules/kysely/dist/cjs/dialect/postgres/postgres-driver.js:113:49)\\n    at async /app/node_modules/kysely/dist/cjs/query-executor/query-executor-base.js:37:28\\n    at async DefaultConnectionProvider.provideConnection (/app/node_modules/kysely/dist/cjs/driver/default-connection-provider.js:12:20)\\n    at async DefaultQueryExecutor.executeQuery (/app/node_modules/kysely/dist/cjs/query-executor/query-executor-base.js:36:16)\\n    at async SelectQueryBuilderImpl.execute (/app/node_modules/kysely/dist/cjs/query-builder/select-query-builder.js:320:24)\\n    at async /app/server.js:19:18\\n    at PostgresConnection.executeQuery (/app/node_modules/kysely/dist/cjs/dialect/postgres/postgres-driver.js:128:69)\\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\\n    at async /app/node_modules/kysely/dist/cjs/query-executor/query-executor-base.js:37:28\\n    at async DefaultConnectionProvider.provideConnection (/app/node_modules/kysely/dist/cjs/driver/default-connection-provider.js:12:20)\\n    at async DefaultQueryExecutor.executeQuery (/app/node_modules/kysely/dist/cjs/query-executor/query-executor-base.js:36:16)\\n    at async SelectQueryBuilderImpl.execute (/app/node_modules/kysely/dist/cjs/query-builder/select-query-builder.js:320:24)\\n    at async /app/server.js:19:18","length":39,"name":"error","severity":"FATAL","code":"08P01"},"msg":"unhandled error"}',
      "node:events:502",
      "      throw er; // Unhandled 'error' event",
      "      ^",
      "",
      "Error: Connection terminated unexpectedly",
      "    at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:204:73)",
    ]);
    expect(result.code).toBe("POOL_EXHAUSTED");
    expect(result.variant).toBe("pgbouncer");
    expect(result.runnerUp?.code).toBe("DATABASE_UNREACHABLE");
  });

  it("says UNKNOWN, with both causes, when two of the same kind are stated side by side", async () => {
    const result = await classifyLines("start", 1, [
      "Error: Cannot find module 'dotenv'",
      "Error: listen EADDRINUSE: address already in use :::3960",
      "    at Server.setupListenHandle [as _listen2] (node:net:1908:16)",
    ]);
    expect(result.code).toBe("UNKNOWN");
    expect(result.evidence.map((e) => e.line)).toEqual([1, 2]);
    expect(result.runnerUp?.code).toBe("PORT_IN_USE");
  });
});

describe("nothing decisive", () => {
  it("is UNKNOWN, with no line as evidence: the pipeline shows the last error lines", async () => {
    const lines = [
      "No config path provided, using default 'drizzle.config.js'",
      "Reading config file '/app/drizzle.config.js'",
      "Using 'pg' driver for database querying",
      "[⣷] Pulling schema from database...",
    ];
    const result = await classifyLines("schema", 1, lines);
    expect(result).toMatchObject({ code: "UNKNOWN", evidence: [] });
    expect(pickEvidence(lines)).toBe("[⣷] Pulling schema from database...");
  });
});
