import pg from "pg";

/** Creates the database a URL names when it does not exist yet (the worker's own state). */
export async function ensureDatabase(databaseUrl: string): Promise<"created" | "exists"> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error("DATABASE_URL names no database");
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return "exists";
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      return "created";
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if ((error as { code?: string }).code === "42P04") return "exists";
      throw error;
    }
  } finally {
    await client.end();
  }
}
