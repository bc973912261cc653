import { additiveScript } from "../../src/schema/additive-script.js";

// What Prisma 6.19's `migrate diff` writes from a database holding the Auth SDK's tables and
// enum (unknown to the schema) to a schema that also drops a column and an enum value.
const CHANGE = `-- AlterEnum
BEGIN;
CREATE TYPE "Mood_new" AS ENUM ('happy', 'sad');
ALTER TABLE "Post" ALTER COLUMN "mood" TYPE "Mood_new" USING ("mood"::text::"Mood_new");
ALTER TYPE "Mood" RENAME TO "Mood_old";
ALTER TYPE "Mood_new" RENAME TO "Mood";
DROP TYPE "Mood_old";
COMMIT;

-- DropForeignKey
ALTER TABLE "auth_sessions" DROP CONSTRAINT "auth_sessions_userId_fkey";

-- AlterTable
ALTER TABLE "Post" DROP COLUMN "subtitle",
ADD COLUMN     "body" TEXT;

-- DropTable
DROP TABLE "auth_users";

-- DropTable
DROP TABLE "public"."auth_sessions";

-- DropEnum
DROP TYPE "auth_role";

-- CreateTable
CREATE TABLE "Tag" (
    "id" INTEGER NOT NULL,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")
);
`;

const ADDITIVE = `-- DropForeignKey
ALTER TABLE "auth_sessions" DROP CONSTRAINT "auth_sessions_userId_fkey";

-- AlterTable
ALTER TABLE "Post" ADD COLUMN     "body" TEXT;

-- DropTable
DROP TABLE "auth_users";

-- DropTable
DROP TABLE "auth_sessions";

-- DropEnum
DROP TYPE "auth_role";

-- CreateTable
CREATE TABLE "Tag" (
    "id" INTEGER NOT NULL,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")
);
`;

const UNKNOWN = {
  tables: ["public.auth_users", "public.auth_sessions"],
  enums: ["public.auth_role"],
};

describe("additiveScript", () => {
  it("removes every statement that drops, or drops a constraint of, an unknown table or enum", () => {
    const { script, destructive } = additiveScript(ADDITIVE, UNKNOWN, "public");
    expect(destructive).toEqual([]);
    expect(script).not.toMatch(/auth_/);
    expect(script).toContain('ALTER TABLE "Post" ADD COLUMN     "body" TEXT;');
    expect(script).toContain('CREATE TABLE "Tag" (');
    expect(script).toContain('CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")\n);');
  });

  it("lists what could lose data: a dropped column, a rebuilt enum", () => {
    const { destructive } = additiveScript(CHANGE, UNKNOWN, "public");
    expect(destructive).toEqual([
      'ALTER TABLE "Post" ALTER COLUMN "mood" TYPE "Mood_new" USING ("mood"::text::"Mood_new")',
      'ALTER TYPE "Mood" RENAME TO "Mood_old"',
      'ALTER TYPE "Mood_new" RENAME TO "Mood"',
      'DROP TYPE "Mood_old"',
      'ALTER TABLE "Post" DROP COLUMN "subtitle",\nADD COLUMN     "body" TEXT',
    ]);
  });

  it("drops a table of the same name in another schema as usual", () => {
    const { script } = additiveScript('DROP TABLE "auth_users";\n', UNKNOWN, "tenant");
    expect(script).toBe('DROP TABLE "auth_users";\n');
  });

  it("is empty when nothing but unknown objects would change", () => {
    const script =
      '-- DropTable\nDROP TABLE "auth_users";\n\n-- DropEnum\nDROP TYPE "auth_role";\n';
    expect(additiveScript(script, UNKNOWN, "public")).toEqual({ script: "", destructive: [] });
    expect(additiveScript("-- This is an empty migration.", UNKNOWN, "public").script).toBe("");
  });
});
