import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { classifyLines } from "./classify-helper.js";

// Captured through the real worker (test/stacks/prisma-migrate.int.test.ts): `prisma migrate
// deploy` with Prisma 6.19's JS schema engine (driver adapter), a migration adding a NOT NULL
// column without a default to a table with a row; exit 1. The JS engine does not print
// Postgres's message, only "external connector error", the constraint and the migration.
const LOG = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/prisma-js-engine/migrate-deploy-null-constraint.log",
);

describe("prisma migrate deploy on the JS schema engine, a migration failing on existing rows", () => {
  it("is MIGRATION_FAILED with the constraint and the migration as evidence", async () => {
    const result = await classifyLines("schema", 1, readFileSync(LOG, "utf8").split("\n"));
    expect(result.code).toBe("MIGRATION_FAILED");
    const evidence = result.evidence.map((line) => line.text).join("\n");
    expect(evidence).toMatch(/Null constraint failed/);
    expect(evidence).toMatch(/with migration_name="20261202000000_title"/);
  });
});
