// Prisma CLI configuration. The JS schema engine, through the pg driver adapter, keeps every
// Prisma command offline: the classic engine would download a native binary first.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig, env } from "prisma/config";

// The schema engine reads the Postgres catalogs through @prisma/adapter-pg, which refuses
// column types it has no mapping for (`name`, `char`, `regclass`, `oid[]`...). Their values
// already arrive as strings (or arrays of strings), so present them as text.
const TEXT = 25;
const TEXT_ARRAY = 1009;
const FIRST_USER_OID = 16384;
const ADAPTER_MAPPED = new Set([
  16, 17, 20, 21, 23, 25, 26, 114, 700, 701, 790, 869, 650, 142, 1042, 1043, 1082, 1083, 1114, 1184,
  1266, 1560, 1562, 1700, 2950, 3802, 199, 1000, 1001, 1002, 1005, 1007, 1009, 1014, 1015, 1016,
  1021, 1022, 1028, 1041, 1115, 1182, 1183, 1185, 1231, 1561, 1563, 651, 143, 791, 2951, 3807,
]);

type Result = { fields?: { dataTypeID: number }[]; rows?: unknown[][] };

function presentCatalogTypesAsText(result: Result): Result {
  result.fields?.forEach((field, column) => {
    if (field.dataTypeID >= FIRST_USER_OID || ADAPTER_MAPPED.has(field.dataTypeID)) return;
    const sample = result.rows?.find((row) => row[column] != null)?.[column];
    field.dataTypeID = Array.isArray(sample) ? TEXT_ARRAY : TEXT;
  });
  return result;
}

class CatalogTextClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const callback = args[last];
      args[last] = (error: Error | null, result: Result) =>
        callback(error, result && presentCatalogTypesAsText(result));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const pending = (super.query as (...a: unknown[]) => unknown)(...args);
    return pending instanceof Promise ? pending.then(presentCatalogTypesAsText) : pending;
  }
}

// Prisma 6.19's JS schema engine can leave a 60 s timeout armed once `db push` is done, which
// keeps the CLI alive for a minute for nothing (the worker's own generated config does the
// same). A timer that long only guards work that holds its own connection open, so it need not
// keep the process alive.
const setTimer = globalThis.setTimeout;
const setUnrefLongTimer = (
  callback: (...a: unknown[]) => void,
  ms?: number,
  ...args: unknown[]
) => {
  const timer = setTimer(callback, ms, ...args);
  if ((ms ?? 0) >= 30_000) timer.unref?.();
  return timer;
};
globalThis.setTimeout = Object.defineProperties(
  setUnrefLongTimer,
  Object.getOwnPropertyDescriptors(setTimer),
) as typeof setTimeout;

// allowExitOnIdle: the CLI never closes the adapter's pool, and would otherwise wait out its
// idle timeout (10 s) before exiting.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  adapter: async () =>
    new PrismaPg(
      new pg.Pool({
        connectionString: env("DATABASE_URL"),
        Client: CatalogTextClient,
        allowExitOnIdle: true,
      }),
    ),
});
