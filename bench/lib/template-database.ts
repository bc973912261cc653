import { randomBytes } from "node:crypto";
import { execa } from "execa";
import pg from "pg";

/**
 * The migrated template every benchmark database is copied from, made as jest's global setup
 * makes it (test/helpers/global-setup.ts): through `npm run db:migrate`, under a fresh name.
 * Sets TEST_POSTGRES_URL and TEST_TEMPLATE_DATABASE, which test/helpers/databases.ts reads
 * when it makes a database.
 */
export async function createTemplateDatabase(): Promise<{ name: string; drop(): Promise<void> }> {
  const server = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = `coduck_bench_template_${randomBytes(4).toString("hex")}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  await execa("npm", ["run", "--silent", "db:migrate"], {
    env: { DATABASE_URL: url.toString(), LOG_LEVEL: "warn" },
  });
  process.env.TEST_POSTGRES_URL = server;
  process.env.TEST_TEMPLATE_DATABASE = name;
  return {
    name,
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
