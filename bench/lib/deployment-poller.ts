import pg from "pg";

/**
 * The bench's own polling of deployment statuses, over one bare node-postgres connection. The
 * harness runs in the worker's process, so polling through the worker's Prisma client (about
 * 1.5 ms of CPU a query on the AMD machine, against 0.2 ms bare: Prisma 6 compiles every
 * query in WebAssembly on the main thread) would charge the worker for the harness's polls,
 * tens of thousands of them in item 2.
 */
export class DeploymentPoller {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<DeploymentPoller> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new DeploymentPoller(client);
  }

  /** How many of these deployments are still queued or running. */
  async countActive(ids: readonly string[]): Promise<number> {
    const { rows } = await this.client.query<{ active: number }>(
      `SELECT count(*)::int AS active FROM "Deployment"
        WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'running')`,
      [ids],
    );
    return rows[0]!.active;
  }

  /** Which of these deployments are still queued. */
  async queued(ids: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.client.query<{ id: string }>(
      `SELECT id FROM "Deployment" WHERE id = ANY($1::uuid[]) AND status = 'queued'`,
      [ids],
    );
    return new Set(rows.map((row) => row.id));
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
