import pg from "pg";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { provisionProject } from "../../src/provisioning/provision-project.js";
import { asProjectRole } from "../helpers/as-project-role.js";
import { databaseUrl, onDatabase } from "../helpers/databases.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

const PROJECT = "inspect";
let stack: TestStack;

const asApp = <T>(work: (client: pg.Client) => Promise<T>) => asProjectRole(stack, PROJECT, work);

const itemCount = () =>
  asApp(async (c) => (await c.query("SELECT count(*)::int AS n FROM items")).rows[0].n);

beforeAll(async () => {
  stack = await createTestStack();
  await provisionProject(stack, PROJECT);
  await asApp(async (c) => {
    await c.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, note text)");
    await c.query("CREATE INDEX items_name ON items (name)");
    await c.query("INSERT INTO items (name) SELECT 'item ' || i FROM generate_series(1, 30) i");
    await c.query("ANALYZE items");
    await c.query("CREATE TABLE events (at timestamptz DEFAULT now(), kind text)");
    await c.query("INSERT INTO events (kind) VALUES ('first'), ('second'), ('third')");
    // A table whose very name is an injection attempt; quoting must keep it a name.
    await c.query(`CREATE TABLE "x""; DELETE FROM items; --" (v int)`);
    await c.query(`INSERT INTO "x""; DELETE FROM items; --" VALUES (7)`);
    // A view whose reading writes: only a READ ONLY transaction stops it.
    await c.query(
      "CREATE FUNCTION wipe() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM items; RETURN 0; END $$",
    );
    await c.query("CREATE VIEW sneaky AS SELECT wipe() AS wiped");
  });
});
afterAll(async () => {
  await stack?.close();
});

describe("db tables, schema and rows", () => {
  it("lists tables with row estimates and sizes", async () => {
    const run = await cli(["db", "tables", "--project", PROJECT, "--json"], stack.env);
    expect(run.exitCode).toBe(0);
    const tables = JSON.parse(run.stdout as string);
    expect(tables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          schema: "public",
          name: "items",
          kind: "table",
          rowEstimate: 30,
        }),
        expect.objectContaining({ name: "events", kind: "table", rowEstimate: null }),
        expect.objectContaining({ name: "sneaky", kind: "view" }),
      ]),
    );
    expect(tables.find((t: { name: string }) => t.name === "items").sizeBytes).toBeGreaterThan(0);
    // The platform's lookup is a function, not a table: nothing of it shows.
    expect(JSON.stringify(tables)).not.toContain("user_lookup");
    const text = await cli(["db", "tables", "--project", PROJECT], stack.env);
    expect(text.stdout).toMatch(/^public\.items\s+table\s+30\s+\d+ kB$/m);
  });

  it("describes columns, types and indexes", async () => {
    const run = await cli(["db", "schema", "--project", PROJECT, "--json"], stack.env);
    expect(run.exitCode).toBe(0);
    const items = JSON.parse(run.stdout as string).find(
      (t: { name: string }) => t.name === "items",
    );
    expect(items.columns).toEqual([
      {
        name: "id",
        type: "integer",
        nullable: false,
        default: "nextval('items_id_seq'::regclass)",
      },
      { name: "name", type: "text", nullable: false, default: null },
      { name: "note", type: "text", nullable: true, default: null },
    ]);
    expect(items.indexes).toEqual([
      {
        name: "items_pkey",
        primary: true,
        definition: "CREATE UNIQUE INDEX items_pkey ON public.items USING btree (id)",
      },
      {
        name: "items_name",
        primary: false,
        definition: "CREATE INDEX items_name ON public.items USING btree (name)",
      },
    ]);
  });

  it("shows the most recent rows by primary key, or by physical order without one", async () => {
    const run = await cli(
      ["db", "rows", "--project", PROJECT, "--table", "items", "--limit", "3", "--json"],
      stack.env,
    );
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout as string);
    expect(result.order).toBe("primary key (id) descending");
    expect(result.rows.map((r: { id: number }) => r.id)).toEqual([30, 29, 28]);

    const events = await cli(
      ["db", "rows", "--project", PROJECT, "--table", "public.events"],
      stack.env,
    );
    expect(events.stdout).toMatch(
      /^public\.events: 3 most recent rows, physical order \(ctid\) descending$/m,
    );
    expect((events.stdout as string).indexOf("third")).toBeLessThan(
      (events.stdout as string).indexOf("first"),
    );
  });

  it("refuses writes, whatever the table name asks for", async () => {
    for (const crafted of [
      "items; DELETE FROM items",
      'items" ; DELETE FROM "items',
      "public.items; DROP TABLE items",
      "pg_catalog.pg_authid",
    ]) {
      const run = await cli(["db", "rows", "--project", PROJECT, "--table", crafted], stack.env);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe(
        `coduck-worker: no table ${JSON.stringify(crafted)} in this project's database (see coduck-worker db tables)`,
      );
    }
    // A name that is an injection attempt, and exists: read as a name, nothing else runs.
    const named = await cli(
      ["db", "rows", "--project", PROJECT, "--table", 'x"; DELETE FROM items; --', "--json"],
      stack.env,
    );
    expect(named.exitCode).toBe(0);
    expect(JSON.parse(named.stdout as string).rows).toEqual([{ v: 7 }]);
    // A view whose function deletes: the READ ONLY transaction refuses the write.
    const sneaky = await cli(["db", "rows", "--project", PROJECT, "--table", "sneaky"], stack.env);
    expect(sneaky.exitCode).toBe(1);
    expect(sneaky.stderr).toMatch(
      /^coduck-worker: refused: reading sneaky would write \(cannot execute DELETE in a read-only transaction\); inspection is read-only$/,
    );
    expect(await itemCount()).toBe(30);
  });

  it("reads as the project's role, not the admin", async () => {
    const project = await projectCredentials(stack, PROJECT);
    await onDatabase(project!.database, (admin) =>
      admin.query("CREATE TABLE admins_only (secret text); INSERT INTO admins_only VALUES ('s')"),
    );
    const run = await cli(
      ["db", "rows", "--project", PROJECT, "--table", "admins_only"],
      stack.env,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain("permission denied for table admins_only");
  });

  it("checks --limit and the project before connecting", async () => {
    for (const limit of ["0", "1001", "ten", "2.5"]) {
      const run = await cli(
        ["db", "rows", "--project", PROJECT, "--table", "items", "--limit", limit],
        stack.env,
      );
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toBe("coduck-worker: --limit: expected a whole number from 1 to 1000");
    }
    const unknown = await cli(["db", "tables", "--project", "nobody"], stack.env);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("project nobody has no database yet");
  });
});

describe("db info limits", () => {
  it("counts the connections of the project's role against its limit", async () => {
    const connections = async () =>
      JSON.parse(
        (await cli(["db", "info", "--project", PROJECT, "--json"], stack.env)).stdout as string,
      ).connections;
    expect(await connections()).toBe(0);
    // Two of the app's connections count; another role's connection to the database does not.
    const held = await Promise.all(
      [1, 2].map(async () => {
        const project = await projectCredentials(stack, PROJECT);
        const client = new pg.Client(project!.direct);
        await client.connect();
        return client;
      }),
    );
    const project = await projectCredentials(stack, PROJECT);
    const other = new pg.Client(databaseUrl(project!.database));
    await other.connect();
    try {
      expect(await connections()).toBe(2);
    } finally {
      await Promise.all([...held, other].map((c) => c.end()));
    }
  });

  it("records a warning on the project when the database crosses 80 % and 100 % of its limit", async () => {
    const info = async (limitMb: number) => {
      const env = { ...stack.env, PROJECT_STORAGE_LIMIT_MB: String(limitMb) };
      const run = await cli(["db", "info", "--project", PROJECT], env);
      expect(run.exitCode).toBe(0);
      const project = await stack.db.project.findUniqueOrThrow({ where: { slug: PROJECT } });
      return { stdout: run.stdout as string, project };
    };
    const size = await asApp(async (c) =>
      Number((await c.query("SELECT pg_database_size(current_database()) AS b")).rows[0].b),
    );
    const mb = size / 1024 / 1024;

    const roomy = await info(1000);
    expect(roomy.project.storageWarning).toBeNull();
    expect(roomy.stdout).toMatch(/^size +[\d.]+ MB of 1000\.0 MB \(0 % of the soft limit\)$/m);
    expect(roomy.stdout).toMatch(
      /^connections +\d+ of 20 \(the role's limit\); keep the app's client pool at 10 or less/m,
    );

    const near = await info(Math.ceil(mb / 0.9));
    expect(near.project.storageLevel).toBe(80);
    expect(near.project.storageWarning).toMatch(/past 80 %/);
    expect(near.stdout).toContain(`warning: ${near.project.storageWarning}`);

    const over = await info(Math.max(1, Math.floor(mb) - 1));
    expect(over.project.storageLevel).toBe(100);
    expect(over.project.storageWarning).toMatch(/over the limit/);

    expect((await info(1000)).project).toMatchObject({ storageLevel: 0, storageWarning: null });
  });
});
