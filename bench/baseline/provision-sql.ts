import pg from "pg";
import { AUTH_ROLE } from "../../src/provisioning/lookup-objects.js";

/**
 * The statements the provisioning of a new project sends to the cluster, as a psql script:
 * the role (with the same SCRAM verifier form), the database, its grants, and PgBouncer's
 * lookup function in it. Left out are what the worker adds around them: its advisory lock,
 * existence checks, the lookup inspection, the size query, its own bookkeeping rows, the
 * redundant ALTER DATABASE … OWNER and the ALTER ROLE of pgbouncer_auth.
 */
export function provisionSql(options: {
  name: string;
  verifier: string;
  connectionLimit: number;
  lookupSchema: string;
}): string {
  const { escapeIdentifier: id, escapeLiteral: literal } = pg;
  const role = id(options.name);
  const schema = id(options.lookupSchema);
  const fn = `${schema}.user_lookup(text)`;
  return `\\set ON_ERROR_STOP on
CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${options.connectionLimit} PASSWORD ${literal(options.verifier)};
CREATE DATABASE ${role} OWNER ${role};
REVOKE ALL ON DATABASE ${role} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${role} TO ${AUTH_ROLE};
\\c ${role}
BEGIN;
CREATE OR REPLACE FUNCTION ${schema}.user_lookup(i_username text)
  RETURNS TABLE (usename name, passwd text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $lookup$
  SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s
   WHERE s.usename = i_username AND s.usename = ${literal(options.name)} AND NOT s.usesuper
$lookup$;
REVOKE ALL ON FUNCTION ${fn} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${fn} TO ${AUTH_ROLE};
GRANT USAGE ON SCHEMA ${schema} TO ${AUTH_ROLE};
COMMIT;
`;
}
