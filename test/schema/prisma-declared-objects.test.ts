import { prismaDeclaredObjects } from "../../src/schema/prisma-declared-objects.js";

// What Prisma 6.19 writes for `migrate diff --from-empty --to-schema-datamodel … --script`.
const ONE_SCHEMA = `-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "app";

-- CreateEnum
CREATE TYPE "role" AS ENUM ('admin', 'user');

-- CreateTable
CREATE TABLE "posts" (
    "id" SERIAL NOT NULL,
    CONSTRAINT "posts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "_PostToTag" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL
);

-- AddForeignKey
ALTER TABLE "_PostToTag" ADD CONSTRAINT "_PostToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "posts"("id");
`;

const MULTI_SCHEMA = `-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "auth";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "role" AS ENUM ('admin', 'user');

-- CreateTable
CREATE TABLE "auth"."accounts" (
    "id" INTEGER NOT NULL,
    "role" "role" NOT NULL
);

-- CreateTable
CREATE TABLE "Post" (
    "id" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "odd""name" (
    "id" INTEGER NOT NULL
);
`;

describe("prismaDeclaredObjects", () => {
  it("reads the tables (mapped and implicit join tables) and enums, in the script's one schema", () => {
    expect(prismaDeclaredObjects(ONE_SCHEMA, "public")).toEqual({
      tables: ["app.posts", "app._PostToTag"],
      enums: ["app.role"],
    });
  });

  it("qualifies unqualified names with the default schema when the script spans several", () => {
    expect(prismaDeclaredObjects(MULTI_SCHEMA, "public")).toEqual({
      tables: ["auth.accounts", "public.Post", 'public.odd"name'],
      enums: ["public.role"],
    });
  });

  it("takes the default schema when the script creates none", () => {
    const script = 'CREATE TABLE "Post" (\n    "id" INTEGER NOT NULL\n);\n';
    expect(prismaDeclaredObjects(script, "tenant")).toEqual({ tables: ["tenant.Post"], enums: [] });
  });

  it("is empty for an empty schema", () => {
    expect(prismaDeclaredObjects("-- This is an empty migration.\n", "public")).toEqual({
      tables: [],
      enums: [],
    });
  });
});
