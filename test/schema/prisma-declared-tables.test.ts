import { prismaDeclaredTables } from "../../src/schema/prisma-declared-objects.js";
import { prismaUnreadObjects } from "../../src/schema/prisma-unread-objects.js";

// What Prisma 6.19 writes for `migrate diff --from-empty --to-schema-datamodel … --script`.
const SCRIPT = `-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Kind" AS ENUM ('A', 'B');

-- CreateTable
CREATE TABLE "tags" (
    "id" SERIAL NOT NULL,
    "the_label" TEXT NOT NULL,
    "say ""hi""" TEXT,
    "geo" point,

    CONSTRAINT "tags_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "_PostToTag" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL,

    CONSTRAINT "_PostToTag_AB_pkey" PRIMARY KEY ("A","B")
);

-- AddForeignKey
ALTER TABLE "_PostToTag" ADD CONSTRAINT "_PostToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "tags"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;

const MULTI_SCHEMA = `-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "auth";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "auth"."accounts" (
    "id" INTEGER NOT NULL,
    "role" "role" NOT NULL
);

-- CreateTable
CREATE TABLE "public"."posts" (
    "id" INTEGER NOT NULL
);
`;

describe("prismaDeclaredTables", () => {
  it("reads each created table's columns by their database names, constraints aside", () => {
    expect(prismaDeclaredTables(SCRIPT, "other")).toEqual([
      { schema: "public", name: "tags", columns: ["id", "the_label", 'say "hi"', "geo"] },
      { schema: "public", name: "_PostToTag", columns: ["A", "B"] },
    ]);
  });

  it("keeps the schema of qualified tables", () => {
    expect(prismaDeclaredTables(MULTI_SCHEMA, "public")).toEqual([
      { schema: "auth", name: "accounts", columns: ["id", "role"] },
      { schema: "public", name: "posts", columns: ["id"] },
    ]);
  });
});

describe("prismaUnreadObjects", () => {
  it("lists @@ignore models' tables and @ignore or Unsupported fields' columns, by mapped name", () => {
    const schema = `
model Tag {
  id       Int     @id
  label    String  @map("tag_label")
  legacy   String? @ignore @map(name: "old_label")
  location Unsupported("geometry(Point, 4326)")?
  meta     Json    @default("{}") // @ignore in a comment is no attribute
  posts    Post[]

  @@map("tags")
  @@schema("app")
}

/* model Commented {
  x Int @ignore
} */

model Archive {
  id Int @id
  @@ignore
}
`;
    expect(prismaUnreadObjects(schema)).toEqual([
      { schema: "app", table: "tags", column: "old_label" },
      { schema: "app", table: "tags", column: "location" },
      { schema: null, table: "Archive" },
    ]);
  });
});
