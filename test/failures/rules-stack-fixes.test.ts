import { FAILURE_CODES, failureCodeEntry } from "../../src/failures/codes.js";
import { classifyLines } from "./classify-helper.js";

// A fix names the command to change and the file to look at for the stack the log shows.
// Lines are from captured failures.
describe("fixes by stack", () => {
  it("tells a missing table under knex to run knex's migrations, not Prisma's", async () => {
    const result = await classifyLines("start", 1, [
      "> knex-api@1.4.0 start",
      "> node server.js",
      "2026-12-06T23:27:44.443Z INFO  booting billing-api v2.3.1 (node v20.20.2)",
      "2026-12-06T23:27:44.445Z INFO  RUN_MIGRATIONS not set, skipping migrations",
      "2026-12-06T23:27:44.445Z INFO  warming account cache",
      '2026-12-06T23:27:44.531Z FATAL boot failed: error: select "id", "plan" from "accounts" where "active" = $1 - relation "accounts" does not exist',
      "    at parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:306:11)",
      "  code: '42P01',",
    ]);
    // "skipping migrations" ran none: the query failed, not a migration.
    expect(result.code).toBe("RELATION_DOES_NOT_EXIST");
    expect(result.variant).toBe("knex");
    expect(result.hint).toMatch(/knex migrate:latest/);
    expect(result.hint).toMatch(/knexfile/);
  });

  it("names drizzle-kit's fix when its push cannot ask about a rename", async () => {
    const result = await classifyLines("schema", 1, [
      "No config path provided, using default 'drizzle.config.js'",
      "Reading config file '/app/drizzle.config.js'",
      "Using 'pg' driver for database querying",
      "\x1b[2K\x1b[1G[✓] Pulling schema from database...",
      "Error: Interactive prompts require a TTY terminal (process.stdin.isTTY or process.stdout.isTTY is false). This can happen when running in CI, piped input, or non-interactive shells.",
      "    at render10 (/app/node_modules/drizzle-kit/bin.cjs:1450:31)",
      "    at promptColumnsConflicts (/app/node_modules/drizzle-kit/bin.cjs:32711:65)",
    ]);
    expect(result.code).toBe("DESTRUCTIVE_CHANGE_BLOCKED");
    expect(result.variant).toBe("drizzle-kit-prompt");
    expect(result.hint).toMatch(/drizzle-kit generate/);
  });

  it("reads a migration script's failure from its JSON log, by the Postgres file in its fields", async () => {
    const result = await classifyLines("schema", 1, [
      '{"level":30,"time":1796600156838,"pid":6483,"hostname":"vm","name":"migrate","step":"link ledger","msg":"running"}',
      '{"level":50,"time":1796600156855,"pid":6483,"hostname":"vm","name":"migrate","err":{"type":"DatabaseError","message":"foreign key constraint \\"ledger_account_fk\\" cannot be implemented","stack":"error: foreign key constraint \\"ledger_account_fk\\" cannot be implemented\\n    at /app/node_modules/pg/lib/client.js:694:17","length":218,"name":"error","severity":"ERROR","code":"42804","detail":"Key columns \\"account_id\\" and \\"id\\" are of incompatible types: uuid and bigint.","file":"tablecmds.c","line":"10129","routine":"ATAddForeignKeyConstraint"},"msg":"migration failed"}',
    ]);
    expect(result.code).toBe("MIGRATION_FAILED");
    expect(result.evidence.at(-1)?.text).toMatch(/cannot be implemented/);
  });

  it("names skipLibCheck when every TypeScript error is in a dependency's types", async () => {
    const dependencyErrors = [
      "node_modules/@types/node/child_process.d.ts(309,17): error TS2339: Property 'dispose' does not exist on type 'SymbolConstructor'.",
      "node_modules/@types/node/events.d.ts(436,89): error TS2304: Cannot find name 'Disposable'.",
      "node_modules/@types/node/ts5.6/index.d.ts(29,21): error TS2726: Cannot find lib definition for 'esnext.disposable'.",
    ];
    const result = await classifyLines("build", 2, ["> tsc -p .", "", ...dependencyErrors]);
    expect(result.code).toBe("TYPESCRIPT_ERROR");
    expect(result.variant).toBe("dependency-types");
    expect(result.hint).toMatch(/skipLibCheck/);

    // One error in the app's own code: the generic fix.
    const mixed = await classifyLines("build", 2, [
      ...dependencyErrors,
      "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    ]);
    expect(mixed.code).toBe("TYPESCRIPT_ERROR");
    expect(mixed.variant).toBeUndefined();
  });

  it("tells an engine mismatch from a resolution failure", async () => {
    const result = await classifyLines("install", 1, [
      "npm error code EBADENGINE",
      "npm error engine Unsupported engine",
      "npm error engine Not compatible with your version of node/npm: undici@8.14.1",
      "npm error notsup Not compatible with your version of node/npm: undici@8.14.1",
      'npm error notsup Required: {"node":">=22.19.0"}',
      'npm error notsup Actual:   {"node":"v20.20.2","npm":"11.19.1"}',
    ]);
    expect(result.code).toBe("INSTALL_FAILED");
    expect(result.variant).toBe("node-engine");
  });

  it("reads bun's resolver", async () => {
    const result = await classifyLines("install", 1, [
      "bun install v1.2.23 (cf136713)",
      'error: No version matching "^5.0.0" found for specifier "zod" (but package exists)',
      "error: zod@^5.0.0 failed to resolve",
    ]);
    expect(result.code).toBe("DEPENDENCY_RESOLUTION_FAILED");
  });

  it("never puts a connection URL in a fix", () => {
    for (const code of Object.keys(FAILURE_CODES) as (keyof typeof FAILURE_CODES)[]) {
      const entry = failureCodeEntry(code);
      for (const text of [entry.hint, ...Object.values(entry.variants ?? {})]) {
        expect([code, text]).not.toEqual([code, expect.stringMatching(/postgres(?:ql)?:\/\//)]);
      }
    }
  });
});
