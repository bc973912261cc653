import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";

export type ProjectLane = {
  /** Aborted when the lane was lost and could not be taken back (another deploy holds it now). */
  lost: AbortSignal;
  release(): Promise<void>;
};

// How long a lane whose connection dropped (Postgres restarting) is sought back, and how often.
const REGAIN_FOR_MS = 60_000;
const REGAIN_EVERY_MS = 500;

/**
 * The right to run a project's deploy: a session advisory lock in the worker's own database,
 * held on its own connection for as long as the deploy runs, so that two deploys of one
 * project never overlap on any number of workers. Resolves null when another deploy holds it.
 * A worker that dies releases it with its connection. When the connection drops under a live
 * worker (Postgres restarted), the lock is taken again on a new one; if another deploy got it
 * first, or Postgres stays away, `lost` is aborted and the deploy must stop.
 */
export async function tryEnterProjectLane(
  databaseUrl: string,
  projectId: string,
): Promise<ProjectLane | null> {
  const key = `coduck:deploy:${projectId}`;
  let client = await lock(databaseUrl, key);
  if (!client) return null;
  const controller = new AbortController();
  let released = false;

  const regain = async () => {
    const until = Date.now() + REGAIN_FOR_MS;
    while (!released && Date.now() < until) {
      try {
        const again = await lock(databaseUrl, key);
        if (!again) break;
        if (released) {
          await again.end().catch(() => {});
          return;
        }
        client = again;
        watch(again);
        return;
      } catch {
        await sleep(REGAIN_EVERY_MS);
      }
    }
    if (!released) controller.abort("lane-lost");
  };
  const watch = (watched: pg.Client) => {
    let dropped = false;
    const onDrop = () => {
      if (dropped || released) return;
      dropped = true;
      void regain();
    };
    watched.on("error", onDrop);
    watched.on("end", onDrop);
  };
  watch(client);

  return {
    lost: controller.signal,
    release: async () => {
      released = true;
      await client?.end().catch(() => {});
    },
  };
}

/** A connection holding the lane's lock, or null when another session holds it. */
async function lock(databaseUrl: string, key: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // reported through "end"; see watch()
  try {
    await client.connect();
    const { rows } = await client.query(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS entered",
      [key],
    );
    if (rows[0].entered) return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  await client.end();
  return null;
}
