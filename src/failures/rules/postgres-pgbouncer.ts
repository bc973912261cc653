import { type EvidenceRule, STEP_FAILED } from "./rule.js";

// Postgres and PgBouncer as node-postgres, postgres.js, psql and Prisma print them: the
// SQLSTATE message texts, and the SQLSTATE itself where a driver dumps the error's fields.
// Names are quoted "…", or \"…\" where Prisma's engine or a JSON logger escapes the message.
export const POSTGRES_PGBOUNCER_RULES: readonly EvidenceRule[] = [
  // PgBouncer's auth_query cannot run: its lookup function or grant is gone (08P01).
  { code: "BOUNCER_CONFIG_ERROR", evidence: "code", pattern: /bouncer config error/i },

  // The client asked for SSL; the project's database (on the machine's loopback) offers none.
  // node-postgres (knex, sequelize, kysely, drizzle), libpq, Prisma's engine.
  {
    code: "DATABASE_SSL_MISMATCH",
    evidence: "code",
    pattern:
      /The server does not support SSL connections|server does not support SSL, but SSL was required|Error opening a TLS connection: server does not support TLS/,
  },

  // 53300: Postgres itself is out of connection slots.
  {
    code: "POOL_EXHAUSTED",
    evidence: "code",
    variant: "server-slots",
    pattern:
      /too many clients already|remaining connection slots are reserved|too many connections for (?:role|database)|connection limit exceeded for non-superusers/i,
  },
  {
    code: "POOL_EXHAUSTED",
    evidence: "code",
    variant: "server-slots",
    role: "detail",
    pattern: /\bcode:\s*'53300'|SqlState\(E53300\)/,
  },
  // PgBouncer's own limits.
  {
    code: "POOL_EXHAUSTED",
    evidence: "code",
    variant: "pgbouncer",
    pattern:
      /no more connections allowed|\bmax_client_conn\b|\bquery_wait_timeout\b|Max client connections reached/i,
  },
  // A client-side pool that waited for a free connection in vain (pg-pool, knex, sequelize).
  {
    code: "POOL_EXHAUSTED",
    variant: "client-pool",
    evidence: "cause",
    pattern:
      /timeout exceeded when trying to connect|Timeout acquiring a connection|ConnectionAcquireTimeoutError|pool is probably full/i,
  },

  // 42P05 / 26000: named statements do not follow a client across a transaction pooler.
  {
    code: "PREPARED_STATEMENT_CONFLICT",
    evidence: "code",
    pattern:
      /prepared statement \\*"[^"]*" (?:already exists|does not exist)|unnamed prepared statement does not exist|bind message supplies \d+ parameters?, but prepared statement/i,
  },
  {
    code: "PREPARED_STATEMENT_CONFLICT",
    evidence: "code",
    role: "detail",
    pattern: /\bcode:\s*'(?:42P05|26000)'|SqlState\(E(?:42P05|26000)\)/,
  },

  // 28P01 / 28000 / 3D000: the server refuses these credentials or this database.
  {
    code: "DATABASE_AUTH_FAILED",
    evidence: "code",
    pattern:
      /password authentication failed|SASL authentication failed|no pg_hba\.conf entry|client password must be a string|\bno such user\b|server login has been failing|database \\*"[^"]*" does not exist|\bno such database\b/i,
  },
  {
    code: "DATABASE_AUTH_FAILED",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    pattern: /\brole \\*"[^"]*" does not exist/i,
  },
  {
    code: "DATABASE_AUTH_FAILED",
    evidence: "code",
    role: "detail",
    pattern: /\bcode:\s*'(?:28P01|28000|3D000)'/,
  },

  // 08001 / 57P0x: no connection at all.
  {
    code: "DATABASE_UNREACHABLE",
    evidence: "code",
    pattern:
      /the database system is (?:starting up|shutting down|in recovery mode|not yet accepting connections)|terminating connection due to administrator command|pgbouncer cannot connect to server/i,
  },
  // The client's words for a connection that failed or dropped: often the consequence of a
  // server error printed before it (a PgBouncer timeout closes the connection), so a cause.
  {
    code: "DATABASE_UNREACHABLE",
    pattern:
      /could not connect to server|connection to server (?:at|on) \S+(?:, port \d+)? failed|Is the server running on|Connection terminated unexpectedly|Connection terminated due to connection timeout|server closed the connection unexpectedly|\bCONNECT_TIMEOUT\b/i,
  },

  // 42703 before 42P01: `column "c" of relation "t" does not exist` names a relation too.
  {
    code: "SCHEMA_MISMATCH",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    pattern:
      /\bcolumn \\*"[^"]*"(?: of relation \\*"[^"]*")? does not exist|\bcolumn [\w$]+\.[\w$]+ does not exist/i,
  },
  {
    code: "SCHEMA_MISMATCH",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    role: "detail",
    pattern: /\bcode:\s*'42703'|SqlState\(E42703\)/,
  },
  {
    code: "RELATION_DOES_NOT_EXIST",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    pattern: /\brelation \\*"[^"]*" does not exist/i,
  },
  {
    code: "RELATION_DOES_NOT_EXIST",
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    role: "detail",
    pattern: /\bcode:\s*'42P01'|SqlState\(E42P01\)/,
  },

  // DDL and constraint errors: what a migration hits on existing objects and rows.
  {
    code: STEP_FAILED,
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    pattern:
      /\b(?:relation|table|type|index|constraint|schema|function|sequence|column \\*"[^"]*" of relation) \\*"[^"]*" already exists(?!, skipping)|contains null values|violates (?:not-null|foreign key|unique|check|exclusion) constraint|could not create unique index|cannot be cast automatically to type|syntax error at or near|invalid input (?:value for enum|syntax for type)|because other objects depend on it|must be owner of|permission denied for (?:schema|table|relation|database|sequence|function)/i,
  },
  // Any other SQLSTATE of a failing statement, as a driver dumps it (node-postgres' fields,
  // a JSON logger's): data (22), integrity (23), syntax or access (42), object state (55).
  {
    code: STEP_FAILED,
    evidence: "code",
    inMigration: "MIGRATION_FAILED",
    role: "detail",
    pattern: /\bcode"?: ?['"](?:2[23]|42|55)[0-9A-Z]{3}['"]/,
  },
  // psql's own error lines, and a server error it echoes.
  {
    code: STEP_FAILED,
    inMigration: "MIGRATION_FAILED",
    pattern: /^psql: error: |^psql:\S*:\d+: ERROR: |^ERROR: {1,2}\S/,
  },
];
