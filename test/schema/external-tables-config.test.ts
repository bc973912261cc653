import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import {
  GENERATED_CONFIG,
  writeExternalTablesConfig,
} from "../../src/schema/external-tables-config.js";

const EXTERNAL = { tables: ["public.auth_users", "auth.sessions"], enums: ["public.auth_role"] };
let appDir: string;

beforeEach(async () => {
  appDir = await mkdtemp(path.join(os.tmpdir(), "coduck-external-config-"));
});
afterEach(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

/** The generated config's default export, as a fresh Node process loads it. */
async function load(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await execa(
    "node",
    [
      "--input-type=module",
      "-e",
      `console.log(JSON.stringify((await import(${JSON.stringify(file)})).default))`,
    ],
    { cwd: appDir },
  );
  return JSON.parse(stdout);
}

describe("writeExternalTablesConfig", () => {
  it("declares the unknown tables and enums external, for an app without a config", async () => {
    const schemaPath = path.join(appDir, "prisma", "schema.prisma");
    const file = await writeExternalTablesConfig({
      appDir,
      appConfigFile: null,
      schemaPath,
      external: EXTERNAL,
    });
    expect(file).toBe(GENERATED_CONFIG);
    expect(await load(path.join(appDir, file))).toEqual({
      schema: schemaPath,
      experimental: { externalTables: true },
      tables: { external: EXTERNAL.tables },
      enums: { external: EXTERNAL.enums },
    });
  });

  it("extends the app's own config, keeping its settings and the meaning of its paths", async () => {
    await mkdir(path.join(appDir, ".config"));
    const appConfigFile = path.join(appDir, ".config", "prisma.mjs");
    await writeFile(
      appConfigFile,
      `export default {
        experimental: { adapter: true },
        engine: "js",
        schema: "../db/schema.prisma",
        migrations: { path: "../db/migrations", seed: "node seed.js" },
        tables: { external: ["public.legacy"] },
      };`,
    );
    const schemaPath = path.join(appDir, "db", "schema.prisma");
    const file = await writeExternalTablesConfig({
      appDir,
      appConfigFile,
      schemaPath,
      external: EXTERNAL,
    });
    expect(await load(path.join(appDir, file))).toEqual({
      experimental: { adapter: true, externalTables: true },
      engine: "js",
      schema: schemaPath,
      migrations: { path: path.join(appDir, "db", "migrations"), seed: "node seed.js" },
      tables: { external: ["public.legacy", ...EXTERNAL.tables] },
      enums: { external: EXTERNAL.enums },
    });
  });
});
