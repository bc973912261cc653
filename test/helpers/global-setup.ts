import { execa } from "execa";
import pg from "pg";

/**
 * Builds the migrated template database that every test file copies its own database from,
 * through the same `npm run db:migrate` that `npm start` runs. (Jest loads this file outside
 * the ES module graph, so it imports nothing of the project's.)
 */
export default async function globalSetup(): Promise<void> {
  const server = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const template = "coduck_worker_test_template";
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await client.end();

  const url = new URL(server);
  url.pathname = `/${template}`;
  await execa("npm", ["run", "--silent", "db:migrate"], { env: { DATABASE_URL: url.toString() } });
  process.env.TEST_POSTGRES_URL = server;
  process.env.TEST_TEMPLATE_DATABASE = template;
}
