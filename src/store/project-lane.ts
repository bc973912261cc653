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
  const key = laneKey(projectId);
  const entered = await lock(databaseUrl, key);
  if (!entered) return null;
  let client = entered;
  const controller = new AbortController();
  let released = false;
  let markFreed = () => {};
  const freed = new Promise<void>((resolve) => {
    markFreed = resolve;
  });
  heldHere.set(key, freed);
  let dropped = false;

  const regain = async () => {
    const until = Date.now() + REGAIN_FOR_MS;
    while (!released && Date.now() < until) {
      try {
        const again = await lock(databaseUrl, key);
        if (!again) break;
        if (released) {
          await unlock(again, key);
          return;
        }
        client = again;
        dropped = false;
        watch(again);
        return;
      } catch {
        await sleep(REGAIN_EVERY_MS);
      }
    }
    if (!released) {
      controller.abort("lane-lost");
      settle();
    }
  };
  const settle = () => {
    if (heldHere.get(key) === freed) heldHere.delete(key);
    markFreed();
  };
  let unwatch = () => {};
  const watch = (watched: pg.PoolClient) => {
    const onDrop = () => {
      if (dropped || released) return;
      dropped = true;
      unwatch();
      // The dead connection leaves the pool; its lock went with it.
      watched.release(new Error("the lane's connection dropped"));
      void regain();
    };
    watched.on("error", onDrop);
    watched.on("end", onDrop);
    unwatch = () => {
      watched.off("error", onDrop);
      watched.off("end", onDrop);
    };
  };
  watch(client);

  return {
    lost: controller.signal,
    release: async () => {
      if (released) return;
      released = true;
      unwatch();
      if (!dropped) await unlock(client, key);
      settle();
    },
  };
}

/** The lanes this process holds, each with when it is given up. */
const heldHere = new Map<string, Promise<void>>();

/**
 * Resolves when this process gives up the project's lane; null when it does not hold it (then
 * only another process, or no one, does). A job that found the lane taken waits for this.
 */
export function laneFreedHere(projectId: string): Promise<void> | null {
  return heldHere.get(laneKey(projectId)) ?? null;
}

function laneKey(projectId: string): string {
  return `coduck:deploy:${projectId}`;
}

/**
 * Lanes are taken on connections kept open between deploys (one pool per database URL), so
 * that picking up a deploy costs one statement, not a new connection. Idle ones never hold the
 * process open, and a connection the server closed while idle simply leaves the pool.
 */
const pools = new Map<string, pg.Pool>();

function poolFor(databaseUrl: string): pg.Pool {
  let pool = pools.get(databaseUrl);
  if (!pool) {
    // No upper bound that matters: a lane is held for a whole deploy, and waiting for one
    // would stall a job behind unrelated projects' deploys.
    pool = new pg.Pool({
      connectionString: databaseUrl,
      max: 1_000,
      idleTimeoutMillis: 0,
      allowExitOnIdle: true,
    });
    pool.on("error", () => {});
    pools.set(databaseUrl, pool);
  }
  return pool;
}

/** A connection holding the lane's lock, or null when another session holds it. */
async function lock(databaseUrl: string, key: string): Promise<pg.PoolClient | null> {
  const client = await poolFor(databaseUrl).connect();
  try {
    const { rows } = await client.query(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS entered",
      [key],
    );
    if (rows[0].entered) return client;
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  client.release();
  return null;
}

/** Gives the lock up and the connection back; one that cannot say it did is closed instead. */
async function unlock(client: pg.PoolClient, key: string): Promise<void> {
  try {
    await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
    client.release();
  } catch (error) {
    client.release(error as Error);
  }
}
