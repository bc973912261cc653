import { randomBytes } from "node:crypto";
import pg from "pg";
import { isRoleReadOnly, setSourceReadOnly } from "../../src/moves/freeze-source.js";
import { createTenantDatabase, onServer, queryAt, SERVER_URL } from "../helpers/databases.js";

// The freeze a move puts on its source (issue 24, gap a): the project's role is read-only for
// every session that starts after it, the sessions it had are ended, and it is undone the same
// way. Both are idempotent (a stage retried after a crash freezes again), touch only that role,
// and quote its name wherever it goes.
const config = { adminDatabaseUrl: SERVER_URL };
let tenant: Awaited<ReturnType<typeof createTenantDatabase>>;
let neighbour: Awaited<ReturnType<typeof createTenantDatabase>>;

beforeAll(async () => {
  tenant = await createTenantDatabase("freeze");
  neighbour = await createTenantDatabase("freeze");
  for (const { url } of [tenant, neighbour])
    await queryAt(
      url,
      "CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) VALUES ('before')",
    );
});
afterAll(async () => {
  await tenant?.drop();
  await neighbour?.drop();
});

const target = () => ({ role: tenant.name, database: tenant.name });
async function session(url: string | pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(typeof url === "string" ? { connectionString: url } : url);
  // An ended session reports its end as an error event too: kept from crashing the test.
  client.on("error", () => {});
  await client.connect();
  return client;
}
const write = (url: string) => queryAt(url, "INSERT INTO notes (body) VALUES ('written')");

describe("freezing a move's source", () => {
  it("ends the role's sessions; new ones read but may not write; twice changes nothing more", async () => {
    const open = await session(tenant.url);
    const other = await session(neighbour.url);
    try {
      const frozen = await setSourceReadOnly(config, target(), true);
      expect(frozen.terminated).toBe(1);
      await expect(open.query("SELECT 1")).rejects.toThrow(/terminat|connection/i);
      // Another role's session on another database goes on, and it still writes.
      expect((await other.query("SELECT count(*)::int AS n FROM notes")).rows).toEqual([{ n: 1 }]);
      await write(neighbour.url);
    } finally {
      await open.end().catch(() => {});
      await other.end();
    }
    await expect(write(tenant.url)).rejects.toThrow(
      /cannot execute INSERT in a read-only transaction/,
    );
    expect(await queryAt(tenant.url, "SELECT body FROM notes")).toEqual([{ body: "before" }]);
    expect(await isRoleReadOnly(config, tenant.name)).toBe(true);
    expect(await isRoleReadOnly(config, neighbour.name)).toBe(false);

    // Again, as a backup stage retried after a crash does: still frozen, nothing fails.
    await setSourceReadOnly(config, target(), true);
    await expect(write(tenant.url)).rejects.toThrow(/read-only transaction/);
    expect(await isRoleReadOnly(config, tenant.name)).toBe(true);
  });

  it("a session started after the freeze is not ended by it", async () => {
    const started = Date.now();
    const freezing = setSourceReadOnly(config, target(), true);
    // Opened while the freeze waits for its second pass: it already has the setting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await session(tenant.url);
    try {
      await freezing;
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect((await late.query("SHOW default_transaction_read_only")).rows).toEqual([
        { default_transaction_read_only: "on" },
      ]);
    } finally {
      await late.end();
    }
  });

  it("an unfreeze whose check names a reason changes nothing; a freeze waits while an unfreeze checks", async () => {
    const later = async () => "move m2 came after this one";
    expect(await setSourceReadOnly(config, target(), false, later)).toEqual({
      skipped: "move m2 came after this one",
    });
    expect(await isRoleReadOnly(config, tenant.name)).toBe(true);
    // A later move's freeze asked while a failed one's unfreeze checks: it is made after the
    // unfreeze's reset (the role's lock), so the role ends frozen.
    let freezing: Promise<unknown> | undefined;
    const thawed = await setSourceReadOnly(config, target(), false, async () => {
      freezing = setSourceReadOnly(config, target(), true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return null;
    });
    expect(thawed).toMatchObject({ terminated: expect.any(Number) });
    await freezing;
    expect(await isRoleReadOnly(config, tenant.name)).toBe(true);
  });

  it("the unfreeze resets the setting and ends the frozen sessions; twice changes nothing more", async () => {
    const frozen = await session(tenant.url);
    try {
      const thawed = await setSourceReadOnly(config, target(), false);
      expect(thawed.terminated).toBe(1);
      await expect(frozen.query("SELECT 1")).rejects.toThrow(/terminat|connection/i);
    } finally {
      await frozen.end().catch(() => {});
    }
    await write(tenant.url);
    await setSourceReadOnly(config, target(), false);
    await write(tenant.url);
    expect(await isRoleReadOnly(config, tenant.name)).toBe(false);
    expect(await queryAt(tenant.url, "SELECT count(*)::int AS n FROM notes")).toEqual([{ n: 3 }]);
  });

  it("attack: a role and database named with quotes and SQL reach the server quoted", async () => {
    const name = `frz"; DROP ROLE ${tenant.name}; --${randomBytes(3).toString("hex")}`;
    const password = randomBytes(12).toString("hex");
    await onServer(async (c) => {
      await c.query(`CREATE ROLE ${c.escapeIdentifier(name)} LOGIN PASSWORD '${password}'`);
      await c.query(
        `CREATE DATABASE ${c.escapeIdentifier(name)} OWNER ${c.escapeIdentifier(name)}`,
      );
    });
    try {
      const server = new URL(SERVER_URL);
      const as: pg.ClientConfig = {
        host: server.hostname,
        port: Number(server.port || 5432),
        user: name,
        password,
        database: name,
      };
      const open = await session(as);
      try {
        expect(await setSourceReadOnly(config, { role: name, database: name }, true)).toMatchObject(
          { terminated: 1 },
        );
      } finally {
        await open.end().catch(() => {});
      }
      const frozen = await session(as);
      try {
        await expect(frozen.query("CREATE TABLE t (id int)")).rejects.toThrow(
          /read-only transaction/,
        );
      } finally {
        await frozen.end();
      }
      expect(await isRoleReadOnly(config, name)).toBe(true);
      // The role the name tried to drop is there, and not frozen.
      expect(await isRoleReadOnly(config, tenant.name)).toBe(false);
      await write(tenant.url);
      await setSourceReadOnly(config, { role: name, database: name }, false);
      expect(await isRoleReadOnly(config, name)).toBe(false);
    } finally {
      await onServer(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(name)}`);
      });
    }
  });
});
