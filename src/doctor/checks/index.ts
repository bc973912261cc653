import type { Check } from "../check.js";
import { adminPrivileges } from "./admin-privileges.js";
import { connectPrivileges } from "./connect-privileges.js";
import { hosts } from "./hosts.js";
import { networkIsolation } from "./network-isolation.js";
import { pgHbaTrust } from "./pg-hba-trust.js";
import { pgbouncerLookup } from "./pgbouncer-lookup.js";
import { pgbouncerMode } from "./pgbouncer-mode.js";
import { postgresMigrations } from "./postgres-migrations.js";
import { protectedHardlinks } from "./protected-hardlinks.js";
import { redisAuth } from "./redis-auth.js";
import { redisEviction } from "./redis-eviction.js";
import { redisPersistence } from "./redis-persistence.js";
import { redisVersion } from "./redis-version.js";
import { releaseDisk } from "./release-disk.js";
import { sandbox } from "./sandbox.js";
import { webhookSecrets } from "./webhook-secrets.js";

/** What `coduck-worker doctor` checks, in the order it prints them. One module per check. */
export const CHECKS: readonly Check[] = [
  redisVersion,
  redisAuth,
  redisEviction,
  redisPersistence,
  postgresMigrations,
  hosts,
  adminPrivileges,
  connectPrivileges,
  pgHbaTrust,
  pgbouncerLookup,
  pgbouncerMode,
  releaseDisk,
  protectedHardlinks,
  sandbox,
  networkIsolation,
  webhookSecrets,
];
