import type { Config } from "../config.js";

export type ProjectUrls = { databaseUrl: string; directUrl: string };

/**
 * DATABASE_URL goes through PgBouncer (transaction pooling); DIRECT_URL goes straight to
 * Postgres, for schema tools. PgBouncer before 1.21 (or with max_prepared_statements = 0)
 * cannot pool prepared statements, so the URL then carries `pgbouncer=true`, which makes Prisma
 * stop preparing them; from 1.21 with max_prepared_statements > 0 nothing extra is needed.
 */
export function projectUrls(
  config: Pick<Config, "pgbouncer" | "direct">,
  database: string,
  password: string,
): ProjectUrls {
  const url = (host: string, port: number) => {
    const u = new URL(
      `postgresql://${host.includes(":") ? `[${host}]` : host}:${port}/${database}`,
    );
    u.username = database;
    u.password = encodeURIComponent(password);
    return u;
  };
  const pooled = url(config.pgbouncer.host, config.pgbouncer.port);
  if (config.pgbouncer.maxPreparedStatements === 0) pooled.searchParams.set("pgbouncer", "true");
  return {
    databaseUrl: pooled.toString(),
    directUrl: url(config.direct.host, config.direct.port).toString(),
  };
}

/** A URL with its password replaced, for showing. */
export function maskPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "*****";
  return u.toString();
}
