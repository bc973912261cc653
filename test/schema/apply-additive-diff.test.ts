import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyAdditiveDiff } from "../../src/schema/apply-additive-diff.js";
import { parsePrismaVersion } from "../../src/schema/prisma-version.js";
import type { RunPrisma } from "../../src/schema/run-prisma.js";
import { SchemaSyncError } from "../../src/schema/schema-sync-error.js";

// The fallback needs a Prisma with the native schema engine (before 6.13), which cannot be
// installed offline: its commands are played by a fake that writes what `migrate diff` would.
const UNKNOWN = { tables: ["public.auth_users"], enums: ["public.auth_role"] };
let appDir: string;

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-additive-diff-"));
});
afterEach(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

function fakePrisma(changeScript: string): {
  runPrisma: RunPrisma;
  calls: string[][];
  executed: string[];
} {
  const calls: string[][] = [];
  const executed: string[] = [];
  const runPrisma: RunPrisma = async (_stage, args) => {
    calls.push(args);
    const value = (flag: string) => path.join(appDir, args[args.indexOf(flag) + 1]!);
    if (args[0] === "migrate") await writeFile(value("--output"), changeScript);
    if (args[0] === "db") executed.push(await readFile(value("--file"), "utf8"));
    return { exitCode: 0, output: [] };
  };
  return { runPrisma, calls, executed };
}

function apply(runPrisma: RunPrisma, version = "5.22.0", said: string[] = []) {
  return applyAdditiveDiff({
    appDir,
    schemaArg: "prisma/schema.prisma",
    scratchDir: appDir,
    version: parsePrismaVersion(version)!,
    unknown: UNKNOWN,
    defaultSchema: "public",
    runPrisma,
    say: (line) => said.push(line),
  });
}

describe("applyAdditiveDiff (Prisma before 6.13)", () => {
  it("runs the diff without the drops of unknown objects, through db execute", async () => {
    const fake = fakePrisma(
      '-- DropTable\nDROP TABLE "auth_users";\n\n-- DropEnum\nDROP TYPE "auth_role";\n\n-- AlterTable\nALTER TABLE "Post" ADD COLUMN "body" TEXT;\n',
    );
    expect(await apply(fake.runPrisma)).toEqual({ changed: true });
    expect(fake.calls).toEqual([
      [
        "migrate",
        "diff",
        "--from-schema-datasource",
        "prisma/schema.prisma",
        "--to-schema-datamodel",
        "prisma/schema.prisma",
        "--script",
        "--output",
        "prisma-change.sql",
      ],
      ["db", "execute", "--file", "prisma-additive.sql", "--schema", "prisma/schema.prisma"],
    ]);
    expect(fake.executed).toEqual(['-- AlterTable\nALTER TABLE "Post" ADD COLUMN "body" TEXT;\n']);
  });

  it("runs nothing when only unknown objects differ", async () => {
    const fake = fakePrisma('-- DropTable\nDROP TABLE "auth_users";\n');
    expect(await apply(fake.runPrisma)).toEqual({ changed: false });
    expect(fake.calls).toHaveLength(1);
  });

  it("refuses a change that could lose data, with db push's warning", async () => {
    const fake = fakePrisma('-- AlterTable\nALTER TABLE "Post" DROP COLUMN "subtitle";\n');
    const said: string[] = [];
    const failure = await apply(fake.runPrisma, "5.22.0", said).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SchemaSyncError);
    expect(failure).toMatchObject({ stage: "push" });
    expect((failure as SchemaSyncError).result.output).toEqual(said);
    expect(said[0]).toBe("⚠️  There might be data loss when applying the changes:");
    expect(said[1]).toBe('  • ALTER TABLE "Post" DROP COLUMN "subtitle"');
    expect(fake.executed).toEqual([]);
  });

  it("says what to do with a Prisma too old for either way", async () => {
    const fake = fakePrisma("");
    await expect(apply(fake.runPrisma, "5.12.0")).rejects.toThrow(/upgrade prisma/);
    expect(fake.calls).toEqual([]);
  });
});
