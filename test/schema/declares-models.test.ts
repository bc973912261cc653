import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { declaresModels, schemaDeclaresModels } from "../../src/schema/declares-models.js";

const DATASOURCE = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
`;

describe("declaresModels", () => {
  it("finds a model block", () => {
    expect(declaresModels(`${DATASOURCE}\nmodel Post {\n  id Int @id\n}\n`)).toBe(true);
    expect(declaresModels("model   Post{\n  id Int @id\n}")).toBe(true);
  });

  it("is false for a schema with only a datasource, a generator, enums or views", () => {
    expect(declaresModels(DATASOURCE)).toBe(false);
    expect(declaresModels(`${DATASOURCE}\nenum Role {\n  admin\n}\nview Stats {\n  n Int\n}`)).toBe(
      false,
    );
    expect(declaresModels("")).toBe(false);
  });

  it("ignores models in // and /// comments", () => {
    expect(declaresModels(`${DATASOURCE}\n// model Post {\n//   id Int @id\n// }\n`)).toBe(false);
    expect(declaresModels(`${DATASOURCE}\n/// model Post {\n`)).toBe(false);
    expect(declaresModels(`${DATASOURCE}\n  // a comment\nmodel Post {\n  id Int @id\n}`)).toBe(
      true,
    );
  });

  it("ignores models in /* */ block comments, over several lines", () => {
    expect(declaresModels(`${DATASOURCE}\n/*\nmodel Post {\n  id Int @id\n}\n*/\n`)).toBe(false);
    expect(declaresModels(`/* old */ model Post {\n  id Int @id\n}`)).toBe(true);
  });

  it("does not take // inside a string for a comment", () => {
    const schema = `model Link {\n  url String @default("https://x.invalid/*") // the home page\n}`;
    expect(declaresModels(schema)).toBe(true);
    expect(declaresModels(`enum E {\n  a // "\n}\nmodel M {\n  id Int @id\n}`)).toBe(true);
  });

  it("does not take a field or attribute named model for a model block", () => {
    expect(declaresModels("type Address {\n  model String\n}")).toBe(false);
  });
});

describe("schemaDeclaresModels", () => {
  it("looks through every file of a multi-file schema", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "coduck-declares-models-"));
    try {
      const main = path.join(dir, "main.prisma");
      const blog = path.join(dir, "blog.prisma");
      await writeFile(main, DATASOURCE);
      await writeFile(blog, "// model Post {\n//   id Int @id\n// }\n");
      const schema = { path: dir, files: [blog, main], configFile: null };
      expect(await schemaDeclaresModels(dir, schema)).toBe(false);

      await writeFile(blog, "model Post {\n  id Int @id\n}\n");
      expect(await schemaDeclaresModels(dir, schema)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
