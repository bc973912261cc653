import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { isConnectionErrorCode } from "../connection-errors.js";

/** How long the worker's bookkeeping waits for its database to come back, and how it backs off. */
export const DATABASE_RETRY = { forMs: 120_000, firstDelayMs: 100, maxDelayMs: 2_000 };

/** Whether an error from node-postgres says the database could not be reached at all. */
export function isConnectionLoss(error: unknown): boolean {
  // The connection, not the statement, failed: the server is restarting, gone or unreachable.
  if (isConnectionErrorCode(error)) return true;
  const { message } = (error ?? {}) as { message?: unknown };
  return (
    typeof message === "string" &&
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * A pg pool whose connections, and statements sent outside a transaction, are retried with
 * backoff while the database is unreachable (restarting, failing over), for up to
 * DATABASE_RETRY.forMs: the worker's bookkeeping waits for Postgres instead of failing the
 * deploy it records. Statements inside a transaction are not retried (the transaction is gone).
 */
export class ResilientPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly onRetry: (error: unknown) => void,
  ) {
    super(config);
    // An idle connection the server closed is dropped by the pool; nothing else to do.
    this.on("error", () => {});
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads
  override connect(callback?: any): any {
    const connecting = this.retrying(() => super.connect());
    if (!callback) return connecting;
    connecting.then(
      (client) => callback(undefined, client, client.release),
      (error) => callback(error, undefined, () => {}),
    );
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads
  override query(...args: any[]): any {
    if (typeof args[args.length - 1] === "function") return super.query(...(args as [string]));
    return this.retrying(() => super.query(...(args as [string])));
  }

  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    const until = Date.now() + DATABASE_RETRY.forMs;
    let delay = DATABASE_RETRY.firstDelayMs;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!isConnectionLoss(error) || Date.now() + delay > until || this.ended) throw error;
        this.onRetry(error);
        await sleep(delay);
        delay = Math.min(delay * 2, DATABASE_RETRY.maxDelayMs);
      }
    }
  }
}
