import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findPrismaSchema } from "../../src/schema/find-prisma-schema.js";

const MODEL = "model Post {\n  id Int @id\n}\n";
let dir: string;

async function files(tree: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}
const at = (...parts: string[]) => path.join(dir, ...parts);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "coduck-find-schema-"));
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("findPrismaSchema", () => {
  it("is null when the app has no Prisma schema", async () => {
    await files({ "package.json": "{}", "src/index.js": "" });
    expect(await findPrismaSchema(dir)).toBeNull();
  });

  it("finds prisma/schema.prisma, and schema.prisma at the root first, as Prisma does", async () => {
    await files({ "prisma/schema.prisma": MODEL });
    expect(await findPrismaSchema(dir)).toEqual({
      path: at("prisma", "schema.prisma"),
      files: [at("prisma", "schema.prisma")],
      configFile: null,
    });
    await files({ "schema.prisma": MODEL });
    expect((await findPrismaSchema(dir))?.path).toBe(at("schema.prisma"));
  });

  it("takes package.json prisma.schema, relative to package.json", async () => {
    await files({
      "package.json": JSON.stringify({ prisma: { schema: "db/app.prisma" } }),
      "db/app.prisma": MODEL,
      "prisma/schema.prisma": MODEL,
    });
    expect((await findPrismaSchema(dir))?.path).toBe(at("db", "app.prisma"));
  });

  it("takes the config file's schema before package.json, without running the config", async () => {
    await files({
      "prisma.config.ts": [
        'import { defineConfig } from "prisma/config";',
        'throw new Error("never run");',
        "// schema: 'wrong/one.prisma',",
        "export default defineConfig({",
        "  /* schema: 'wrong/two.prisma' */",
        "  schema: 'db/main.prisma', // the app's",
        "});",
      ].join("\n"),
      "package.json": JSON.stringify({ prisma: { schema: "other.prisma" } }),
      "other.prisma": MODEL,
      "db/main.prisma": MODEL,
    });
    expect(await findPrismaSchema(dir)).toEqual({
      path: at("db", "main.prisma"),
      files: [at("db", "main.prisma")],
      configFile: at("prisma.config.ts"),
    });
  });

  it("resolves a .config/prisma.ts schema from the .config folder", async () => {
    await files({
      ".config/prisma.ts": 'export default { schema: "../database/schema.prisma" };',
      "database/schema.prisma": MODEL,
    });
    expect(await findPrismaSchema(dir)).toMatchObject({
      path: at("database", "schema.prisma"),
      configFile: at(".config", "prisma.ts"),
    });
  });

  it("falls back to the defaults when the config's schema is computed, and keeps the config", async () => {
    await files({
      "prisma.config.mjs": 'export default { schema: path.join("prisma", "schema.prisma") };',
      "prisma/schema.prisma": MODEL,
    });
    expect(await findPrismaSchema(dir)).toMatchObject({
      path: at("prisma", "schema.prisma"),
      configFile: at("prisma.config.mjs"),
    });
  });

  it("lists every .prisma file of a multi-file schema folder, nested ones included", async () => {
    await files({
      "prisma.config.ts": 'export default { schema: "prisma/models" };',
      "prisma/models/main.prisma": 'datasource db {\n  provider = "postgresql"\n}\n',
      "prisma/models/blog/post.prisma": MODEL,
      "prisma/models/README.md": "not a schema",
    });
    expect(await findPrismaSchema(dir)).toMatchObject({
      path: at("prisma", "models"),
      files: [at("prisma", "models", "blog", "post.prisma"), at("prisma", "models", "main.prisma")],
    });
  });

  it("finds a prisma/schema/ folder last", async () => {
    await files({ "prisma/schema/a.prisma": MODEL, "prisma/schema/b.prisma": MODEL });
    expect(await findPrismaSchema(dir)).toEqual({
      path: at("prisma", "schema"),
      files: [at("prisma", "schema", "a.prisma"), at("prisma", "schema", "b.prisma")],
      configFile: null,
    });
  });

  it("never lists a folder outside the app, even one swapped in for the schema folder while it walks", async () => {
    // Outside the app: a folder of the worker's (say, another tenant's release) with a schema.
    const outside = await mkdtemp(path.join(os.tmpdir(), "coduck-find-schema-outside-"));
    await writeFile(path.join(outside, "evil.prisma"), MODEL);
    await files({ "prisma/schema/a.prisma": MODEL, "prisma/schema/deep/b.prisma": MODEL });
    await symlink(outside, at("prisma", "outside-link"));
    await symlink(outside, at("prisma", "schema", "deep", "link"));
    // The app swaps prisma/schema and prisma/schema/deep for links to it, as fast as it can.
    const swapper = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("fs"), p = process.argv[1];
         for (;;) for (const [real, link] of [[p + "/schema", p + "/outside-link"], [p + "/schema/deep", p + "/schema/deep/link"]]) {
           try { fs.renameSync(real, real + "-aside"); fs.renameSync(link, real); fs.renameSync(real, link); fs.renameSync(real + "-aside", real); } catch {}
         }`,
        at("prisma"),
      ],
      { stdio: "ignore" },
    );
    try {
      const listed = new Set<string>();
      for (let i = 0; i < 2_000; i++) {
        const found = await findPrismaSchema(dir).catch(() => null);
        for (const file of found?.files ?? []) listed.add(path.basename(file));
      }
      expect(listed.has("a.prisma")).toBe(true);
      expect(listed.has("evil.prisma")).toBe(false);
    } finally {
      swapper.kill("SIGKILL");
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses a schema folder of more than 10,000 entries rather than walk it", async () => {
    await files({ "prisma/schema/a.prisma": MODEL });
    for (let i = 0; i < 10_001; i++) await writeFile(at("prisma", "schema", `f${i}.txt`), "");
    await expect(findPrismaSchema(dir)).rejects.toThrow(
      "prisma/schema holds more than 10000 entries: not a Prisma schema folder",
    );
  }, 60_000);
});
