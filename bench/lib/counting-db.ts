import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";

/**
 * A Prisma client made as store/prisma.ts makes the worker's, whose node-postgres connections
 * count every query they send (each is one round trip: node-postgres sends parse, bind and
 * execute in one go) and keep its SQL, so a store operation's round trips can be counted.
 */
export function countingDb(databaseUrl: string) {
  const sent: string[] = [];
  class CountingClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads
    override query(...args: any[]): any {
      const first = args[0];
      sent.push(typeof first === "string" ? first : String(first?.text ?? first));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
  }
  const url = new URL(databaseUrl);
  const db = new PrismaClient({
    adapter: new PrismaPg({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password) || undefined,
      database: url.pathname.slice(1),
      max: 10,
      Client: CountingClient,
    }),
  });
  return {
    db,
    /** The SQL sent so far (and forgets it). */
    take(): string[] {
      return sent.splice(0);
    },
  };
}
