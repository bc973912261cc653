import type pg from "pg";
import { projectCredentials } from "../../src/provisioning/project-credentials.js";
import { asProjectRole } from "../helpers/as-project-role.js";
import { onDatabase, onServer } from "../helpers/databases.js";
import { fixtureRepo } from "../helpers/git-repo.js";
import { createTestStack, type TestStack } from "../helpers/test-worker.js";
import { cli } from "../helpers/worker-process.js";

// A hostile tenant owns its database and its public schema: it plants operators, functions and
// a type that shadow pg_catalog's, and puts public before pg_catalog on its database's and its
// role's search_path (CVE-2018-1058). Every planted body makes its role SUPERUSER and writes a
// marker row, which only a superuser session can do. Then every worker command that touches
// the database runs; none may run the tenant's code as a superuser.
const PROJECT = "hostile";
let stack: TestStack;
let repoDir: string;
let role: string;

const asTenant = <T>(work: (client: pg.Client) => Promise<T>) =>
  asProjectRole(stack, PROJECT, work);

/** pg_catalog functions a worker query could name, shadowed in public: name, arguments, result. */
const SHADOWED_FUNCTIONS: [string, string, string][] = [
  ["pg_database_size", "pg_catalog.name", "pg_catalog.int8"],
  ["pg_database_size", "pg_catalog.oid", "pg_catalog.int8"],
  ["current_database", "", "pg_catalog.name"],
  ["quote_ident", "pg_catalog.text", "pg_catalog.text"],
  ["format", "pg_catalog.text, pg_catalog.text", "pg_catalog.text"],
  ["lower", "pg_catalog.text", "pg_catalog.text"],
  ["length", "pg_catalog.text", "pg_catalog.int4"],
  ["strpos", "pg_catalog.text, pg_catalog.text", "pg_catalog.int4"],
  ["split_part", "pg_catalog.text, pg_catalog.text, pg_catalog.int4", "pg_catalog.text"],
  ["has_function_privilege", "pg_catalog.name, pg_catalog.oid, pg_catalog.text", "pg_catalog.bool"],
  ["has_schema_privilege", "pg_catalog.name, pg_catalog.oid, pg_catalog.text", "pg_catalog.bool"],
  ["has_function_privilege", "pg_catalog.text, pg_catalog.oid, pg_catalog.text", "pg_catalog.bool"],
  ["has_schema_privilege", "pg_catalog.text, pg_catalog.oid, pg_catalog.text", "pg_catalog.bool"],
  ["acldefault", '"char", pg_catalog.oid', "pg_catalog.aclitem[]"],
  ["pg_total_relation_size", "pg_catalog.regclass", "pg_catalog.int8"],
  ["format_type", "pg_catalog.oid, pg_catalog.int4", "pg_catalog.text"],
  ["pg_get_indexdef", "pg_catalog.oid", "pg_catalog.text"],
  ["current_setting", "pg_catalog.text", "pg_catalog.text"],
  ["hashtextextended", "pg_catalog.text, pg_catalog.int8", "pg_catalog.int8"],
];

/** Operators, by the function that implements pg_catalog's: symbol, left, right, function. */
const SHADOWED_OPERATORS: [string, string, string, string][] = [
  ["@>", "pg_catalog.text[]", "pg_catalog.text[]", "arraycontains"],
  ["=", "pg_catalog.name", "pg_catalog.name", "nameeq"],
  ["=", "pg_catalog.name", "pg_catalog.text", "nameeqtext"],
  ["=", "pg_catalog.oid", "pg_catalog.oid", "oideq"],
  ["=", "pg_catalog.text", "pg_catalog.text", "texteq"],
  ["<>", "pg_catalog.oid", "pg_catalog.oid", "oidne"],
  ["||", "pg_catalog.text", "pg_catalog.text", "textcat"],
  ["~~", "pg_catalog.name", "pg_catalog.text", "namelike"],
];

function plantingSql(target: string): string {
  const statements = [
    "CREATE TABLE public.pwned (via text, by_role text)",
    // Harmless as the tenant; as a superuser, makes the tenant one and leaves a marker.
    `CREATE FUNCTION public.coduck_pwn(via pg_catalog.text) RETURNS pg_catalog.bool
       LANGUAGE plpgsql SET search_path = pg_catalog AS $pwn$
     BEGIN
       IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                   WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER AND r.rolsuper) THEN
         EXECUTE pg_catalog.format('ALTER ROLE %I SUPERUSER CREATEROLE CREATEDB REPLICATION BYPASSRLS', ${pgLiteral(target)});
         INSERT INTO public.pwned VALUES (via, CURRENT_USER);
       END IF;
       RETURN true;
     END $pwn$`,
  ];
  SHADOWED_FUNCTIONS.forEach(([name, args, returns], i) => {
    const params = args ? args.split(", ").map((_, n) => `$${n + 1}`) : [];
    statements.push(
      `CREATE FUNCTION public.${name}(${args}) RETURNS ${returns} LANGUAGE sql VOLATILE AS $f$
         SELECT CASE WHEN public.coduck_pwn('${name}#${i}') THEN pg_catalog.${name}(${params.join(", ")}) END
       $f$`,
    );
  });
  SHADOWED_OPERATORS.forEach(([symbol, left, right, real], i) => {
    statements.push(
      `CREATE FUNCTION public.pwn_op_${i}(${left}, ${right}) RETURNS ${real === "textcat" ? "pg_catalog.text" : "pg_catalog.bool"}
         LANGUAGE sql VOLATILE AS $f$
         SELECT CASE WHEN public.coduck_pwn('${symbol}#${i}') THEN pg_catalog.${real}($1, $2) END
       $f$`,
      `CREATE OPERATOR public.${symbol} (LEFTARG = ${left}, RIGHTARG = ${right}, FUNCTION = public.pwn_op_${i})`,
    );
  });
  // `::text` would name this domain, and its check would run the tenant's function.
  statements.push(
    "CREATE DOMAIN public.text AS pg_catalog.text CHECK (public.coduck_pwn('domain text'))",
  );
  return statements.join(";\n");
}

function pgLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

type RoleState = Record<string, boolean | number>;

async function roleState(name: string): Promise<RoleState> {
  return onServer(async (c) => {
    const { rows } = await c.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolinherit,
              rolcanlogin, rolconnlimit
         FROM pg_roles WHERE rolname = $1`,
      [name],
    );
    return rows[0];
  });
}

async function superusers(): Promise<string[]> {
  return onServer(async (c) =>
    (await c.query("SELECT rolname FROM pg_roles WHERE rolsuper ORDER BY 1")).rows.map(
      (r) => r.rolname,
    ),
  );
}

/**
 * Marker rows, read as the test server's superuser with no operator or function in the query
 * (the tenant's search_path applies to this session too).
 */
async function markers(): Promise<string[]> {
  const { database } = (await projectCredentials(stack, PROJECT))!;
  return onDatabase(database, async (c) =>
    (await c.query("SELECT via, by_role FROM public.pwned")).rows.map(
      (r) => `${r.via} as ${r.by_role}`,
    ),
  );
}

let before: RoleState;
let superusersBefore: string[];

async function expectUnharmed(after: string) {
  expect({ after, role: await roleState(role) }).toEqual({ after, role: before });
  expect({ after, markers: await markers() }).toEqual({ after, markers: [] });
  expect({ after, superusers: await superusers() }).toEqual({
    after,
    superusers: superusersBefore,
  });
}

async function run(args: string[]) {
  const result = await cli(args, stack.env);
  expect({ args, exitCode: result.exitCode, stderr: result.stderr }).toMatchObject({
    args,
    exitCode: 0,
  });
  return result;
}

beforeAll(async () => {
  stack = await createTestStack({}, { pgbouncer: {} });
  await stack.startWorker();
  repoDir = (await fixtureRepo("node-http")).dir;
  const deployed = await stack.waitForEnd(
    await stack.deploy({ project: PROJECT, repoUrl: repoDir }),
    120_000,
  );
  expect(deployed.status).toBe("succeeded");
  role = (await projectCredentials(stack, PROJECT))!.role;
  before = await roleState(role);
  expect(before.rolsuper).toBe(false);
  superusersBefore = await superusers();

  await asTenant(async (c) => {
    await c.query(plantingSql(role));
    await c.query("CREATE TABLE public.items (id serial PRIMARY KEY, name text)");
    await c.query("INSERT INTO public.items (name) VALUES ('one'), ('two')");
    const database = c.escapeIdentifier(role);
    await c.query(`ALTER DATABASE ${database} SET search_path = public, pg_catalog`);
    await c.query(`ALTER ROLE ${database} SET search_path = public, pg_catalog`);
  });
  // The plant is live: in the tenant's own sessions the shadows are what names resolve to.
  await asTenant(async (c) => {
    const { rows } = await c.query(
      "SELECT pg_catalog.current_setting('search_path') AS path, ARRAY['a']::pg_catalog.text[] @> ARRAY['a']::pg_catalog.text[] AS contains",
    );
    expect(rows[0]).toEqual({ path: "public, pg_catalog", contains: true });
  });
}, 240_000);
afterAll(async () => {
  await stack?.close();
});
// A test that found the tenant escalated leaves the next one a clean start.
afterEach(async () => {
  const { database } = (await projectCredentials(stack, PROJECT))!;
  await onServer((c) =>
    c.query(
      `ALTER ROLE ${c.escapeIdentifier(role)} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS`,
    ),
  );
  await onDatabase(database, (c) => c.query("TRUNCATE public.pwned"));
});

describe("a tenant's planted operators, functions and search_path", () => {
  it("never run as a superuser when the worker provisions, repairs and verifies", async () => {
    await run(["provision", "--project", PROJECT]);
    await expectUnharmed("provision");
    // The tenant drops the lookup (it owns the schema): db repair recreates it as the admin.
    await asTenant((c) => c.query("DROP FUNCTION public.user_lookup(pg_catalog.text)"));
    const repaired = await run(["db", "repair", "--project", PROJECT]);
    expect(repaired.stdout).toContain("function public.user_lookup()");
    await expectUnharmed("db repair");
  });

  it("never run as a superuser when a deploy verifies the database", async () => {
    const deployed = await stack.waitForEnd(
      await stack.deploy({ project: PROJECT, repoUrl: repoDir }),
      120_000,
    );
    expect(deployed.status).toBe("succeeded");
    await expectUnharmed("deploy");
  }, 150_000);

  it("never run as a superuser by db info, tables, schema, rows and doctor", async () => {
    const info = await run(["db", "info", "--project", PROJECT, "--json"]);
    expect(JSON.parse(info.stdout).lookup).toMatchObject({ function: true, functionSafe: true });
    await expectUnharmed("db info");
    await run(["db", "tables", "--project", PROJECT]);
    await run(["db", "schema", "--project", PROJECT]);
    const rows = await run(["db", "rows", "--project", PROJECT, "--table", "items"]);
    expect(rows.stdout).toContain("two");
    await expectUnharmed("db tables/schema/rows");
    await cli(["doctor", "--json"], stack.env);
    await expectUnharmed("doctor");
  });

  it("never run as a superuser by a backup and its restore", async () => {
    const created = await run(["backups", "create", "--project", PROJECT, "--wait", "--json"]);
    const backup = JSON.parse(created.stdout);
    expect(backup.status).toBe("succeeded");
    await expectUnharmed("backups create");
    const restored = await run([
      "restore",
      "--project",
      PROJECT,
      "--backup",
      backup.id,
      "--confirm",
      PROJECT,
      "--wait",
      "--json",
    ]);
    expect(JSON.parse(restored.stdout)).toMatchObject({ status: "succeeded" });
    await expectUnharmed("restore");
  }, 120_000);
});

describe("a tenant's database-level role setting", () => {
  it("never makes the admin's sessions run as the tenant: the lookup it recreates is the admin's", async () => {
    const { database } = (await projectCredentials(stack, PROJECT))!;
    await asTenant(async (c) => {
      // As the database's owner it may; every session that logs in to it would SET ROLE.
      await c.query(
        `ALTER DATABASE ${c.escapeIdentifier(database)} SET role = ${c.escapeIdentifier(role)}`,
      );
      await c.query("DROP FUNCTION public.user_lookup(pg_catalog.text)");
    });
    try {
      await run(["db", "repair", "--project", PROJECT]);
      const lookup = await onDatabase(database, async (c) => {
        await c.query("RESET ROLE");
        const { rows } = await c.query(
          `SELECT pg_catalog.pg_get_userbyid(p.proowner) AS owner
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
            WHERE n.nspname OPERATOR(pg_catalog.=) 'public' AND p.proname OPERATOR(pg_catalog.=) 'user_lookup'`,
        );
        return rows;
      });
      expect(lookup).toEqual([{ owner: new URL(stack.config.adminDatabaseUrl).username }]);
      await expectUnharmed("db repair with the database's role set to the tenant");
    } finally {
      await onServer((c) => c.query(`ALTER DATABASE ${c.escapeIdentifier(database)} RESET role`));
    }
  });
});
