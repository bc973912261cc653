import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { classifyLines } from "./classify-helper.js";

// Captured: `knex migrate:latest` (knex 3.1, pg 8) with `ssl: { rejectUnauthorized: false }` in
// its knexfile, against a Postgres with ssl = off, exit 1.
const LOG = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/ssl/knex-migrate-ssl-required.log",
);

describe("a client asking for SSL the database does not offer", () => {
  it("is DATABASE_SSL_MISMATCH with the driver's line, not a failed migration", async () => {
    const result = await classifyLines("schema", 1, readFileSync(LOG, "utf8").split("\n"));
    expect(result.code).toBe("DATABASE_SSL_MISMATCH");
    expect(result.evidence[0]!.text).toMatch(/The server does not support SSL connections/);
    expect(result.hint).toMatch(/sslmode=require/);
    expect(result.hint).not.toMatch(/fix the migration/);
  });

  it("reads libpq's and Prisma's wording alike, at start too", async () => {
    const libpq = await classifyLines("start", 1, [
      'psql: error: connection to server at "127.0.0.1", port 6432 failed: server does not support SSL, but SSL was required',
    ]);
    expect(libpq.code).toBe("DATABASE_SSL_MISMATCH");
  });
});
