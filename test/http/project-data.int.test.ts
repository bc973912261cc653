import type { FastifyInstance } from "fastify";
import type pg from "pg";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { provisionProject } from "../../src/provisioning/provision-project.js";
import { asProjectRole } from "../helpers/as-project-role.js";
import { onDatabase } from "../helpers/databases.js";
import { buildTestApp } from "../helpers/test-app.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";

const TOKEN = "data-view-test-admin-token-0123456789";
const SCRIPT = "<script>alert(1)</script>";
const PROJECT = "dataview";
let stack: TestStack;
let app: FastifyInstance;

const bearer = { authorization: `Bearer ${TOKEN}` };

const asApp = <T>(work: (client: pg.Client) => Promise<T>) => asProjectRole(stack, PROJECT, work);

beforeAll(async () => {
  stack = await createTestStack({ ADMIN_TOKEN: TOKEN });
  app = await buildTestApp(stack, {
    data: { db: stack.db, config: stack.config, keyring: stack.keyring },
  });
  await provisionProject(stack, PROJECT);
  await asApp(async (c) => {
    await c.query(`CREATE TABLE notes (id serial PRIMARY KEY, body text)`);
    await c.query("INSERT INTO notes (body) VALUES ('first'), ($1)", [SCRIPT]);
    await c.query(`CREATE TABLE "${SCRIPT}" (v int)`);
  });
});
afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe("the dashboard's Data view", () => {
  it("shows storage, tables, a table's schema and recent rows, escaped", async () => {
    const list = await app.inject({ url: `/admin/projects/${PROJECT}/data`, headers: bearer });
    expect(list.statusCode).toBe(200);
    expect(list.body).toMatch(
      /<dd id="storage">[\d.]+ MB of 1024\.0 MB \(0 % of the soft limit\)<\/dd>/,
    );
    expect(list.body).toContain("<code>public.notes</code>");
    expect(list.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(list.body).not.toContain(SCRIPT);
    expect(list.body).toContain('id="create-backup"');

    const notes = await app.inject({
      url: `/admin/projects/${PROJECT}/data?table=public.notes`,
      headers: bearer,
    });
    expect(notes.statusCode).toBe(200);
    expect(notes.body).toContain("Recent rows (primary key (id) descending)");
    expect(notes.body).toContain(
      "<code>CREATE UNIQUE INDEX notes_pkey ON public.notes USING btree (id)</code>",
    );
    // Newest first, the stored script shown as text.
    expect(notes.body.indexOf("&lt;script&gt;")).toBeLessThan(notes.body.indexOf("<td>first</td>"));
    expect(notes.body).not.toContain(SCRIPT);
  });

  it("answers a crafted table name with a clear error and changes nothing", async () => {
    const crafted = "notes; DELETE FROM notes";
    const page = await app.inject({
      url: `/admin/projects/${PROJECT}/data?table=${encodeURIComponent(crafted)}`,
      headers: bearer,
    });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain(
      `<p class="error" id="table-error">no table &quot;notes; DELETE FROM notes&quot; in this project&#39;s database`,
    );
    expect(
      await asApp(async (c) => (await c.query("SELECT count(*)::int AS n FROM notes")).rows[0].n),
    ).toBe(2);
    // A table the project's role may not read: Postgres' answer, not an internal error.
    const project = await projectCredentials(stack, PROJECT);
    await onDatabase(project!.database, (admin) =>
      admin.query("CREATE TABLE admins_only (secret text)"),
    );
    const denied = await app.inject({
      url: `/admin/projects/${PROJECT}/data?table=admins_only`,
      headers: bearer,
    });
    expect(denied.statusCode).toBe(404);
    expect(denied.body).toContain("permission denied for table admins_only");
    const unknown = await app.inject({ url: "/admin/projects/nobody/data", headers: bearer });
    expect(unknown.statusCode).toBe(404);
  });

  it("queues a backup from the Create button, only with the form's token", async () => {
    const before = await stack.db.backup.count();
    const basic = { authorization: `Basic ${Buffer.from(`op:${TOKEN}`).toString("base64")}` };
    const forged = await app.inject({
      method: "POST",
      url: `/admin/projects/${PROJECT}/backups`,
      headers: {
        ...basic,
        origin: "http://localhost:80",
        host: "localhost:80",
        "content-type": "application/x-www-form-urlencoded",
      },
      payload: "csrf=wrong",
    });
    expect(forged.statusCode).toBe(403);
    expect(await stack.db.backup.count()).toBe(before);

    const created = await app.inject({
      method: "POST",
      url: `/admin/projects/${PROJECT}/backups`,
      headers: bearer,
    });
    expect(created.statusCode).toBe(303);
    const backup = await stack.db.backup.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(backup).toMatchObject({ kind: "manual", status: "queued", requestedBy: "dashboard" });
    expect(created.headers.location).toBe(
      `/admin/projects/${PROJECT}/data?notice=${encodeURIComponent(`queued backup ${backup.id}`)}`,
    );
    expect(await stack.queue.getJobState(`backup-${backup.id}`)).toBe("waiting");
    const page = await app.inject({ url: created.headers.location as string, headers: bearer });
    expect(page.body).toContain(`<code>${backup.id}</code>`);
    expect(page.body).toContain(`queued backup ${backup.id}`);
  });
});
