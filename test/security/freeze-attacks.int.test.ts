import pg from "pg";
import { isRoleReadOnly, setSourceReadOnly } from "../../src/moves/freeze-source.js";
import { createTenantDatabase, queryAt, SERVER_URL } from "../helpers/databases.js";

// A move's freeze (and a failed move's unfreeze, and the target's reset) is an ALTER ROLE of the
// project's role, made by the admin. The role may alter its own settings (ALTER ROLE itself
// SET …, as any Postgres role may), so a tenant can hold the row that ALTER ROLE writes: a
// transaction of its left open (idle in transaction) after changing one of its settings. The
// admin's ALTER ROLE then waits for that transaction for ever: the move's backup stage hangs in
// the project's lane, holding one of the host's worker slots (WORKER_CONCURRENCY) — during
// `hosts drain --move`, every tenant's move queues behind it.
const config = { adminDatabaseUrl: SERVER_URL };
let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;

beforeAll(async () => {
  tenant = await createTenantDatabase("frzatk");
  await queryAt(tenant.url, "CREATE TABLE notes (id serial PRIMARY KEY, body text)");
});
afterAll(async () => {
  await tenant?.drop();
});

/** The tenant's session, left idle in a transaction that changed its own role's settings. */
async function holdRoleSettings(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: tenant.url });
  client.on("error", () => {});
  await client.connect();
  await client.query("BEGIN");
  await client.query(`ALTER ROLE ${client.escapeIdentifier(tenant.name)} SET work_mem = '8MB'`);
  return client;
}

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms),
    ),
  ]);

describe("a tenant holding its role's settings row", () => {
  it("does not hold up the freeze: its session is ended and the role is frozen", async () => {
    const holder = await holdRoleSettings();
    try {
      await within(
        20_000,
        setSourceReadOnly(config, { role: tenant.name, database: tenant.name }, true),
      );
      await expect(holder.query("SELECT 1")).rejects.toThrow(/terminat|connection/i);
    } finally {
      await holder.end().catch(() => {});
    }
    expect(await isRoleReadOnly(config, tenant.name)).toBe(true);
    await expect(queryAt(tenant.url, "INSERT INTO notes (body) VALUES ('x')")).rejects.toThrow(
      /read-only transaction/,
    );
  }, 30_000);

  it("does not hold up the unfreeze either", async () => {
    // Frozen now: its transaction must be read-write to alter its role.
    const client = new pg.Client({ connectionString: tenant.url });
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("BEGIN READ WRITE");
      await client.query(`ALTER ROLE ${client.escapeIdentifier(tenant.name)} SET work_mem = '8MB'`);
      await within(
        20_000,
        setSourceReadOnly(config, { role: tenant.name, database: tenant.name }, false),
      );
    } finally {
      await client.end().catch(() => {});
    }
    expect(await isRoleReadOnly(config, tenant.name)).toBe(false);
    await queryAt(tenant.url, "INSERT INTO notes (body) VALUES ('x')");
  }, 30_000);
});
