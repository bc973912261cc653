import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { prismaArgs } from "../../src/schema/prisma-commands.js";
import { parsePrismaVersion, supportsExternalTables } from "../../src/schema/prisma-version.js";
import { SchemaSyncError } from "../../src/schema/schema-sync-error.js";
import { syncPrismaSchema } from "../../src/schema/sync-prisma-schema.js";

const v = (version: string) => parsePrismaVersion(version)!;
const SCHEMA = "prisma/schema.prisma";
const OUT = ".coduck/prisma-create.sql";

describe("the worker's Prisma command lines, by the app's Prisma version", () => {
  it("diffs with --to-schema-datamodel before 7 and --to-schema from 7", () => {
    for (const version of ["5.12.1", "5.22.0", "6.19.0"]) {
      expect(prismaArgs.createScript(v(version), SCHEMA, OUT)).toEqual([
        "migrate",
        "diff",
        "--from-empty",
        "--to-schema-datamodel",
        SCHEMA,
        "--script",
        "--output",
        OUT,
      ]);
    }
    expect(prismaArgs.createScript(v("7.0.0"), SCHEMA, OUT)).toEqual([
      "migrate",
      "diff",
      "--from-empty",
      "--to-schema",
      SCHEMA,
      "--script",
      "--output",
      OUT,
    ]);
  });

  it("pushes with --skip-generate before 7 (7 no longer generates in db push), generates alike", () => {
    expect(prismaArgs.push(v("6.19.0"), ".coduck/prisma.config.mjs")).toEqual([
      "db",
      "push",
      "--config",
      ".coduck/prisma.config.mjs",
      "--skip-generate",
    ]);
    expect(prismaArgs.push(v("7.1.0"), ".coduck/prisma.config.mjs")).toEqual([
      "db",
      "push",
      "--config",
      ".coduck/prisma.config.mjs",
    ]);
    // The same from Prisma 4 to 7.
    expect(prismaArgs.generate(SCHEMA)).toEqual(["generate", "--schema", SCHEMA]);
  });

  it("keeps unknown tables natively from 6.13, with the additive diff before", () => {
    expect(
      ["5.22.0", "6.12.0", "6.13.0", "7.0.0"].map((x) => supportsExternalTables(v(x))),
    ).toEqual([false, false, true, true]);
  });
});

describe("a Prisma the automatic push cannot serve", () => {
  let appDir: string;
  beforeEach(async () => {
    appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-old-prisma-"));
    await mkdir(path.join(appDir, "node_modules", "prisma"), { recursive: true });
    await mkdir(path.join(appDir, "prisma"));
    await writeFile(path.join(appDir, SCHEMA), "model A {\n  id Int @id\n}\n");
  });
  afterEach(async () => {
    if (appDir) await rm(appDir, { recursive: true, force: true });
  });

  it.each(["4.16.2", "5.12.0"])(
    "is told so exactly, before any command runs (Prisma %s)",
    async (version) => {
      await writeFile(
        path.join(appDir, "node_modules", "prisma", "package.json"),
        JSON.stringify({ name: "prisma", version }),
      );
      const ran: string[][] = [];
      const sync = syncPrismaSchema({
        appDir,
        schema: {
          path: path.join(appDir, SCHEMA),
          files: [path.join(appDir, SCHEMA)],
          configFile: null,
        },
        directUrl: "postgresql://nobody@127.0.0.1:1/none",
        run: async (_file, args) => {
          ran.push(args);
          return { exitCode: 0, output: [] };
        },
      });
      await expect(sync).rejects.toBeInstanceOf(SchemaSyncError);
      await expect(sync).rejects.toMatchObject({
        stage: "prisma-unsupported",
        message: expect.stringContaining(`Prisma ${version} cannot be served`),
      });
      expect(ran).toEqual([]);
    },
  );
});
