import type pg from "pg";
import type { Db } from "./prisma.js";

/**
 * Where a store operation written in plain SQL runs: the worker's Prisma client, or a bare
 * node-postgres pool (the CLI's `deploy`, which then never loads Prisma's client: loading it
 * and compiling its first queries costs more than half a second).
 */
export type SqlDb = Db | pg.Pool;

/** Sends one parameterised statement ($1, $2, … bound to `values`); resolves with its rows. */
export type Sql = <Row>(text: string, values?: readonly unknown[]) => Promise<Row[]>;

/** What plain SQL runs on outside a transaction: SqlDb, or one pg client (doctor's). */
export type Queryable = SqlDb | pg.ClientBase;

/**
 * Single statements on either connection (Prisma's client, or the bare pool of a CLI command
 * that does not load Prisma). Times are best selected as epoch milliseconds (timestamps without
 * time zone hold UTC, as Prisma writes them); counts come back as whatever the driver makes of
 * a bigint.
 */
export function queryOn(db: Queryable): Sql {
  if ("$queryRawUnsafe" in db) return (text, values = []) => db.$queryRawUnsafe(text, ...values);
  return async <Row>(text: string, values: readonly unknown[] = []) =>
    (await db.query(text, [...values])).rows as Row[];
}

/** Prisma's default of 2 s is short for a burst of pushes queueing for connections and locks. */
const TRANSACTION_WAIT_MS = 15_000;

/** Runs `work` in one transaction on either kind of connection: committed when it resolves. */
export async function inTransaction<T>(db: SqlDb, work: (sql: Sql) => Promise<T>): Promise<T> {
  if ("$transaction" in db) {
    return db.$transaction(
      (tx) => work((text, values = []) => tx.$queryRawUnsafe(text, ...values)),
      { maxWait: TRANSACTION_WAIT_MS, timeout: TRANSACTION_WAIT_MS },
    );
  }
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(async (text, values = []) => {
      const { rows } = await client.query(text, [...values]);
      return rows;
    });
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((lost: Error) => {
      broken = lost;
    });
    throw error;
  } finally {
    // A connection that could not even roll back is dropped, not handed to the next caller.
    client.release(broken);
  }
}
