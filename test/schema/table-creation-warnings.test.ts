import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { tableCreationWarnings } from "../../src/schema/table-creation-warnings.js";

let appDir: string;

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-tables-"));
});
afterEach(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

const manifest = (dependencies: Record<string, string>) => ({ dependencies });

describe("warnings when nothing creates the app's tables", () => {
  it("names the database library an app depends on when no preStart and no Prisma models create tables", async () => {
    const warnings = await tableCreationWarnings(appDir, {
      preStart: undefined,
      prismaModels: false,
      manifest: manifest({ kysely: "^0.28.0", pg: "^8.0.0" }),
    });
    expect(warnings).toEqual([expect.stringMatching(/depends on kysely, but nothing creates/)]);
  });

  it("names the committed migration tooling no preStart runs, with the preStart that would", async () => {
    await writeFile(path.join(appDir, "drizzle.config.ts"), "export default {}");
    expect(
      await tableCreationWarnings(appDir, {
        preStart: undefined,
        prismaModels: false,
        manifest: manifest({ "drizzle-orm": "^0.44.0" }),
      }),
    ).toEqual([expect.stringMatching(/drizzle\.config\.ts is committed.*"drizzle-kit migrate"/)]);

    await rm(path.join(appDir, "drizzle.config.ts"));
    await writeFile(path.join(appDir, "knexfile.js"), "module.exports = {}");
    expect(
      await tableCreationWarnings(appDir, {
        preStart: undefined,
        prismaModels: false,
        manifest: null,
      }),
    ).toEqual([expect.stringMatching(/"knex migrate:latest"/)]);
  });

  it("says when Prisma migrations are committed but the schema is pushed instead", async () => {
    await mkdir(path.join(appDir, "prisma", "migrations"), { recursive: true });
    await writeFile(path.join(appDir, "prisma", "migrations", "migration_lock.toml"), "");
    expect(
      await tableCreationWarnings(appDir, {
        preStart: undefined,
        prismaModels: true,
        manifest: manifest({ "@prisma/client": "6.19.3" }),
      }),
    ).toEqual([expect.stringMatching(/"preStart": "prisma migrate deploy"/)]);
  });

  it("says nothing when a preStart owns the schema, Prisma pushes it, or the app uses no database", async () => {
    await writeFile(path.join(appDir, "knexfile.js"), "module.exports = {}");
    const cases = [
      { preStart: "knex migrate:latest", prismaModels: false, manifest: manifest({ knex: "3" }) },
      { preStart: undefined, prismaModels: true, manifest: manifest({ "@prisma/client": "6" }) },
    ];
    for (const app of cases) expect(await tableCreationWarnings(appDir, app)).toEqual([]);
    await rm(path.join(appDir, "knexfile.js"));
    expect(
      await tableCreationWarnings(appDir, {
        preStart: undefined,
        prismaModels: false,
        manifest: manifest({ "is-number": "7" }),
      }),
    ).toEqual([]);
  });
});
