import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findPrismaSchema } from "../../src/schema/find-prisma-schema.js";
import { parsePrismaVersion } from "../../src/schema/prisma-version.js";
import { type PushInputs, pushInputsHash } from "../../src/schema/push-inputs-hash.js";

let appDir: string;

const FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "app", version: "1.0.0" }),
  "package-lock.json": '{"lockfileVersion":3}',
  "prisma/schema.prisma":
    'datasource db {\n  provider = "postgresql"\n}\nmodel A {\n  id Int @id\n}\n',
  "prisma.config.ts":
    'import "dotenv/config";\nimport { url } from "./src/db-url";\nexport default { schema: "prisma/schema.prisma", url };\n',
  "src/db-url.ts": 'export { url } from "./read-url.js";\n',
  "src/read-url.ts": "export const url = process.env.DIRECT_URL;\n",
  "src/server.ts": "console.log('v1');\n",
};

async function write(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(appDir, name)), { recursive: true });
    await writeFile(path.join(appDir, name), text);
  }
}

async function inputs(
  env: Record<string, string> = { DIRECT_URL: "postgresql://a@h/db" },
  version = "6.19.3",
): Promise<PushInputs> {
  const schema = (await findPrismaSchema(appDir))!;
  return pushInputsHash({ appDir, schema, version: parsePrismaVersion(version)!, env });
}

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-push-inputs-"));
  await write(FILES);
});
afterEach(async () => {
  await rm(appDir, { recursive: true, force: true });
});

describe("what the schema push is made from", () => {
  it("is the same for the same app, and ignores the app's other code", async () => {
    const first = await inputs();
    expect(first).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await write({ "src/server.ts": "console.log('v2');\n", "README.md": "hi" });
    expect(await inputs()).toEqual(first);
  });

  it.each([
    [
      "the schema",
      { "prisma/schema.prisma": `${FILES["prisma/schema.prisma"]}model B {\n  id Int @id\n}\n` },
    ],
    ["the Prisma config", { "prisma.config.ts": `${FILES["prisma.config.ts"]}// changed\n` }],
    [
      "a file the config imports, two imports down",
      { "src/read-url.ts": "export const url = 'x';\n" },
    ],
    [
      "the Prisma version the lockfile pins",
      {
        "package-lock.json": JSON.stringify({
          lockfileVersion: 3,
          packages: { "node_modules/prisma": { version: "6.19.4" } },
        }),
      },
    ],
    [
      "what the lockfile pins of a package the config imports",
      {
        "package-lock.json": JSON.stringify({
          lockfileVersion: 3,
          packages: { "node_modules/dotenv": { version: "17.0.0" } },
        }),
      },
    ],
    ["a .env file", { ".env": "SHADOW=1\n" }],
    [
      "package.json's prisma key",
      { "package.json": JSON.stringify({ name: "app", prisma: { seed: "x" } }) },
    ],
  ])("changes with %s", async (_what, files) => {
    const before = await inputs();
    await write(files);
    expect(await inputs()).not.toEqual(before);
  });

  it("ignores a lockfile change to a package neither Prisma nor its config loads", async () => {
    const lock = (nanoid: string) =>
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          "node_modules/prisma": { version: "6.19.3" },
          "node_modules/nanoid": { version: nanoid },
        },
      });
    await write({ "package-lock.json": lock("5.1.5") });
    const before = await inputs();
    await write({ "package-lock.json": lock("5.1.6") });
    expect(await inputs()).toEqual(before);
  });

  it("changes with the Prisma version and with the variables the push runs with", async () => {
    const before = await inputs();
    expect(await inputs(undefined, "6.19.4")).not.toEqual(before);
    expect(await inputs({ DIRECT_URL: "postgresql://a@h/db?schema=other" })).not.toEqual(before);
  });

  it("is unknown, so never skipped, when the config imports a file that cannot be found", async () => {
    await write({
      "prisma.config.ts": 'import { x } from "./generated/settings";\nexport default x;\n',
    });
    expect(await inputs()).toEqual({
      unknown:
        "prisma.config.ts imports ./generated/settings, which the worker cannot find to compare",
    });
  });
});
