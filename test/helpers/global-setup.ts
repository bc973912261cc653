import { randomBytes } from "node:crypto";
import { execa } from "execa";

/**
 * Builds the migrated template database that every test file copies its own database from,
 * through the same `npm run db:migrate` that `npm start` runs. Each test run has its own
 * template, so runs side by side do not disturb each other. (Jest loads this file outside the
 * ES module graph, so it imports nothing of the project's.)
 */
export default async function globalSetup(): Promise<void> {
  const server = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const template = `coduck_test_template_${randomBytes(4).toString("hex")}`;

  const url = new URL(server);
  url.pathname = `/${template}`;
  await execa("npm", ["run", "--silent", "db:migrate"], { env: { DATABASE_URL: url.toString() } });
  process.env.TEST_POSTGRES_URL = server;
  process.env.TEST_TEMPLATE_DATABASE = template;
}
