import { readFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { jest } from "@jest/globals";
import type pg from "pg";
import { inspectLookup, lookupIntact } from "../../src/provisioning/lookup-objects.js";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { provisionProject } from "../../src/provisioning/provision-project.js";
import { asProjectRole } from "../helpers/as-project-role.js";
import { onDatabase } from "../helpers/databases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// A real backup and restore, each waited for to its end.
jest.setTimeout(120_000);

const PROJECT = "apart";
let stack: TestStack;

const asApp = <T>(work: (client: pg.Client) => Promise<T>) => asProjectRole(stack, PROJECT, work);

beforeAll(async () => {
  // The lookup in a schema of its own, which the dump leaves out whole.
  stack = await createTestStack(
    { PGBOUNCER_LOOKUP_SCHEMA: "coduck" },
    { pgbouncer: { lookupSchema: "coduck" } },
  );
  await stack.startWorker();
  await provisionProject(stack, PROJECT);
  await asApp(async (c) => {
    // What apps do beyond tables: a trusted extension, functions, triggers, another schema.
    await c.query("CREATE EXTENSION pgcrypto");
    await c.query("CREATE SCHEMA auth");
    await c.query(
      "CREATE TABLE auth.users (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text, updated_at timestamptz)",
    );
    await c.query(
      "CREATE FUNCTION auth.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$",
    );
    await c.query(
      "CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON auth.users FOR EACH ROW EXECUTE FUNCTION auth.touch()",
    );
    await c.query("INSERT INTO auth.users (email) VALUES ('grace@example.com')");
  });
});
afterAll(async () => {
  await stack?.close();
});

describe("a backup with the lookup in its own schema", () => {
  it("leaves the lookup's schema out, and restores extensions, functions and triggers", async () => {
    const created = await cli(
      ["backups", "create", "--project", PROJECT, "--wait", "--json"],
      stack.env,
    );
    expect(created.exitCode).toBe(0);
    const backup = JSON.parse(created.stdout as string);
    const sql = gunzipSync(
      await readFile(path.join(stack.config.backups.dir, PROJECT, `${backup.id}.sql.gz`)),
    ).toString("utf8");
    expect(sql).toContain("CREATE EXTENSION IF NOT EXISTS pgcrypto");
    expect(sql).toContain("CREATE TABLE auth.users");
    expect(sql).not.toMatch(/coduck\b/);

    await asApp(async (c) => {
      await c.query("DROP SCHEMA auth CASCADE");
      await c.query("DROP EXTENSION pgcrypto");
    });
    const restored = await cli(
      ["restore", "--project", PROJECT, "--backup", backup.id, "--confirm", PROJECT, "--wait"],
      stack.env,
    );
    expect(restored.stdout).toContain("✓ PgBouncer lookup intact");
    expect(restored.exitCode).toBe(0);

    await asApp(async (c) => {
      expect((await c.query("SELECT email FROM auth.users")).rows).toEqual([
        { email: "grace@example.com" },
      ]);
      // The trigger and the extension's function came back with the table.
      const inserted = await c.query(
        "INSERT INTO auth.users (email) VALUES ('new@example.com') RETURNING id, updated_at",
      );
      expect(inserted.rows[0].updated_at).toBeInstanceOf(Date);
      expect(inserted.rows[0].id).toMatch(/^[0-9a-f-]{36}$/);
    });
    const project = await projectCredentials(stack, PROJECT);
    const state = await onDatabase(project!.database, (c) => inspectLookup(c, "coduck"));
    expect(lookupIntact(state)).toBe(true);
  });
});
