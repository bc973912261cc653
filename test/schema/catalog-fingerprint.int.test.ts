import pg from "pg";
import { catalogFingerprint } from "../../src/schema/catalog-fingerprint.js";
import { createTenantDatabase, queryAt } from "../helpers/databases.js";

// A project's database and role, as provisioning makes them.
let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;
let tenantUrl: string;

beforeAll(async () => {
  tenant = await createTenantDatabase("coduck_fp");
  tenantUrl = tenant.url;
  await queryAt(
    tenantUrl,
    `CREATE TYPE "Role" AS ENUM ('reader', 'writer');
     CREATE TABLE "Author" (id serial PRIMARY KEY, name text NOT NULL, role "Role" NOT NULL DEFAULT 'reader');
     CREATE TABLE "Post" (id serial PRIMARY KEY, title text NOT NULL,
       "authorId" integer NOT NULL REFERENCES "Author"(id));
     CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
     INSERT INTO "Author" (name) VALUES ('Ada')`,
  );
});
afterAll(async () => {
  await tenant?.drop();
});

describe("the catalog fingerprint", () => {
  it("is stable while the schema is, and changes with a table, a column, an index or an enum", async () => {
    const before = await catalogFingerprint(tenantUrl);
    // Rows, statistics and vacuums are not the schema.
    await queryAt(tenantUrl, `INSERT INTO "Author" (name) VALUES ('Grace'); ANALYZE`);
    await queryAt(tenantUrl, `VACUUM "Post"`);
    expect(await catalogFingerprint(tenantUrl)).toBe(before);

    const changes = [
      [`ALTER TABLE "Post" ADD COLUMN body text`, `ALTER TABLE "Post" DROP COLUMN body`],
      [
        `ALTER TABLE "Post" ALTER COLUMN title TYPE varchar(200)`,
        `ALTER TABLE "Post" ALTER COLUMN title TYPE text`,
      ],
      [
        `ALTER TABLE "Author" ALTER COLUMN name DROP NOT NULL`,
        `ALTER TABLE "Author" ALTER COLUMN name SET NOT NULL`,
      ],
      [`DROP INDEX "Post_authorId_idx"`, `CREATE INDEX "Post_authorId_idx" ON "Post"("authorId")`],
      [`ALTER TYPE "Role" ADD VALUE 'admin'`, null],
      [`CREATE TABLE extra (id int)`, `DROP TABLE extra`],
    ] as const;
    let current = before;
    for (const [change, undo] of changes) {
      await queryAt(tenantUrl, change);
      const changed = await catalogFingerprint(tenantUrl);
      expect({ change, same: changed === current }).toEqual({ change, same: false });
      current = changed;
      if (undo) {
        await queryAt(tenantUrl, undo);
        current = await catalogFingerprint(tenantUrl);
      }
    }
  });

  it("notices a table dropped out of band", async () => {
    const before = await catalogFingerprint(tenantUrl);
    await queryAt(tenantUrl, `CREATE TABLE "Gone" (id int PRIMARY KEY)`);
    const withTable = await catalogFingerprint(tenantUrl);
    await queryAt(tenantUrl, `DROP TABLE "Gone"`);
    expect(withTable).not.toBe(before);
    expect(await catalogFingerprint(tenantUrl)).toBe(before);
  });

  it("cannot be steered by the tenant's objects named like pg_catalog's, nor by its search_path", async () => {
    // Every trap records that it ran; a query that resolved any of them would also see
    // a constant in place of the catalog.
    await queryAt(
      tenantUrl,
      `CREATE TABLE trap_calls (what text);
       CREATE FUNCTION public.format_type(oid, integer) RETURNS text LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('format_type'); SELECT 'int4'::text $$;
       CREATE FUNCTION public.pg_get_indexdef(oid) RETURNS text LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('pg_get_indexdef'); SELECT 'same'::text $$;
       CREATE FUNCTION public.pg_get_constraintdef(oid) RETURNS text LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('pg_get_constraintdef'); SELECT 'same'::text $$;
       CREATE FUNCTION public.starts_with(text, text) RETURNS boolean LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('starts_with'); SELECT true $$;
       CREATE FUNCTION public.trap_eq(oid, oid) RETURNS boolean LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('='); SELECT false $$;
       CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.trap_eq);
       CREATE FUNCTION public.trap_ne(name, name) RETURNS boolean LANGUAGE sql VOLATILE
         AS $$ INSERT INTO public.trap_calls VALUES ('<>'); SELECT false $$;
       CREATE OPERATOR public.<> (LEFTARG = name, RIGHTARG = name, FUNCTION = public.trap_ne);
       CREATE TABLE public.pg_class (oid oid, relname name, relnamespace oid, relkind "char");
       CREATE TABLE public.pg_namespace (oid oid, nspname name);
       CREATE VIEW public.pg_attribute AS
         SELECT attrelid, attname, atttypid FROM pg_catalog.pg_attribute WHERE false;
       ALTER ROLE ${tenant.name} SET search_path = public, pg_catalog`,
    );
    // The traps work: a session of the tenant's role that names things unqualified runs them.
    const naive = await queryAt(
      tenantUrl,
      `SELECT format_type(23, -1) AS type, (SELECT count(*) FROM pg_class)::int AS classes`,
    );
    expect(naive).toEqual([{ type: "int4", classes: 0 }]);
    await queryAt(tenantUrl, "TRUNCATE trap_calls");

    const before = await catalogFingerprint(tenantUrl);
    await queryAt(tenantUrl, `ALTER TABLE "Post" ALTER COLUMN title TYPE varchar(80)`);
    const retyped = await catalogFingerprint(tenantUrl);
    await queryAt(tenantUrl, `DROP INDEX "Post_authorId_idx"`);
    const unindexed = await catalogFingerprint(tenantUrl);
    await queryAt(tenantUrl, `DROP TABLE "Post"`);
    const dropped = await catalogFingerprint(tenantUrl);

    expect(new Set([before, retyped, unindexed, dropped]).size).toBe(4);
    expect(await queryAt(tenantUrl, "SELECT what FROM trap_calls")).toEqual([]);
    // The session itself ran with search_path pg_catalog, whatever the role sets.
    const client = new pg.Client({
      connectionString: tenantUrl,
      options: "-c search_path=pg_catalog,pg_temp",
    });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT pg_catalog.current_setting('search_path') AS path",
      );
      expect(rows).toEqual([{ path: "pg_catalog,pg_temp" }]);
    } finally {
      await client.end();
    }
  });
});
