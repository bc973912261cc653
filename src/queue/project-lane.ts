import pg from "pg";

export type ProjectLane = { release(): Promise<void> };

/**
 * The right to run a project's deploy: a session advisory lock in the worker's own database,
 * held on its own connection for as long as the deploy runs, so that two deploys of one
 * project never overlap on any number of workers. Resolves null when another deploy holds it.
 * A worker that dies releases it with its connection.
 */
export async function tryEnterProjectLane(
  databaseUrl: string,
  projectId: string,
): Promise<ProjectLane | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const key = `coduck:deploy:${projectId}`;
  try {
    const { rows } = await client.query(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS entered",
      [key],
    );
    if (!rows[0].entered) {
      await client.end();
      return null;
    }
  } catch (error) {
    await client.end();
    throw error;
  }
  client.on("error", () => {}); // a dropped connection frees the lane; nothing else to do
  return {
    release: async () => {
      await client.end().catch(() => {});
    },
  };
}
