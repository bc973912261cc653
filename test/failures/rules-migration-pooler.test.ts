import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { classifyLines } from "./classify-helper.js";

// Captured through the real worker (test/stacks/migrations-over-pooler.int.test.ts):
// `prisma migrate deploy` (Prisma 6.19, JS engine) run from coduck.json build with the
// app's DATABASE_URL, through PgBouncer 1.24 in transaction mode, while the pooled server
// connection that holds Prisma's lock from the previous run was in use; exit 1.
const LOG = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/pooler/prisma-migrate-deploy-p1002.log",
);

describe("a migration through PgBouncer that times out on its advisory lock", () => {
  it.each(["build", "start"] as const)(
    "is MIGRATION_THROUGH_POOLER at %s, not a retried DATABASE_UNREACHABLE",
    async (step) => {
      const result = await classifyLines(step, 1, readFileSync(LOG, "utf8").split("\n"));
      expect(result.code).toBe("MIGRATION_THROUGH_POOLER");
      expect(result.retryable).toBe(false);
      expect(result.evidence.map((line) => line.text).join("\n")).toMatch(
        /Timed out trying to acquire a postgres advisory lock/,
      );
      expect(result.hint).toMatch(/preStart/);
      expect(result.hint).toMatch(/DIRECT_URL/);
    },
  );

  it("leaves a P1002 without the lock line DATABASE_UNREACHABLE", async () => {
    const result = await classifyLines("build", 1, [
      "Error: P1002",
      "The database server was reached but timed out.",
    ]);
    expect(result.code).toBe("DATABASE_UNREACHABLE");
  });
});
