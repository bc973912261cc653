import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTenantDatabase, queryAt } from "../helpers/databases.js";

// The schema step's skip (issue 23) reads the catalog of the project's database from the
// worker's own process (schema/catalog-fingerprint.ts). What the catalog holds is the tenant's:
// its app, running as the project's role, may write any column default, check constraint or
// index expression it likes. A default is stored once, compressed, and costs the tenant a few
// kilobytes; deparsed by pg_get_expr it comes back as many megabytes as the tenant chose, per
// column. The fingerprint must not bring that into the worker's heap: the worker runs every
// project's deploys on its host, and a heap out of memory ends them all.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODULE = path.join(root, "src/schema/catalog-fingerprint.ts");

// The worker's heap is 4 GB here; the child's is small so that the same thing shows at a size
// this shared machine affords (and within the query's 15 s statement timeout on it): four
// defaults of 8 MB each. A domain's default (pg_type.typdefault, stored as text) reads back
// faster still: 32 MB in under 2 s on this loaded machine, from 2 MB of catalog.
const HEAP_MB = 48;
const DEFAULT_BYTES = 8 * 1024 * 1024;
const COLUMNS = 4;

let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;
let tenantUrl: string;

beforeAll(async () => {
  tenant = await createTenantDatabase("coduck_fpx");
  tenantUrl = tenant.url;
  // What the tenant's own code can do with its own role: nothing here needs more.
  const columns = Array.from({ length: COLUMNS }, (_, i) => `c${i} text`).join(", ");
  await queryAt(tenantUrl, `CREATE TABLE "Planted" (id int PRIMARY KEY, ${columns})`);
  for (let i = 0; i < COLUMNS; i++)
    await queryAt(
      tenantUrl,
      `DO $$ BEGIN EXECUTE pg_catalog.format('ALTER TABLE "Planted" ALTER COLUMN c${i} SET DEFAULT %L',
         pg_catalog.repeat('x', ${DEFAULT_BYTES})); END $$`,
    );
}, 120_000);
afterAll(async () => {
  await tenant?.drop();
});

/** catalogFingerprint(tenantUrl) in a child Node with a small heap: its exit and output. */
function fingerprintInChild(): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
    const { catalogFingerprint } = await import(${JSON.stringify(MODULE)});
    process.stdout.write(await catalogFingerprint(${JSON.stringify(tenantUrl)}));`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${HEAP_MB}`, "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: root, maxBuffer: 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? -1) : 0,
          out: stdout,
          err: stderr.slice(0, 400),
        }),
    );
  });
}

describe("the catalog fingerprint against a tenant's catalog", () => {
  it("does not bring a column default of the tenant's size into the worker's heap", async () => {
    const run = await fingerprintInChild();
    // Before the fix: every catalog line came back to the worker and was kept, sorted and
    // serialised there; the child died of "JavaScript heap out of memory".
    expect({ code: run.code, err: run.err }).toEqual({ code: 0, err: "" });
    expect(run.out).toMatch(/^[0-9a-f]{64}$/);
  }, 180_000);
});
