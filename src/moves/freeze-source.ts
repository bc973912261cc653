import { setTimeout as sleep } from "node:timers/promises";
import type { Config } from "../config.js";
import { withAdminSession } from "../provisioning/admin-session.js";
import type { Db } from "../store/prisma.js";

/**
 * How long after the first pass the sessions are ended again: a session that had read the
 * role's settings before the change but was not yet listed in pg_stat_activity (it lists a
 * backend only at the end of its start-up) is ended by the second.
 */
const SECOND_PASS_MS = 500;

/** How long the ALTER ROLE waits for a lock a session of the role holds, and how often. */
const ALTER_LOCK_TIMEOUT_MS = 2_000;
const ALTER_ATTEMPTS = 5;
const LOCK_NOT_AVAILABLE = "55P03";

/** A project's role and its database, on this host's cluster. */
export type FreezeTarget = { role: string; database: string };
/** When the role's setting changed (the server's clock), and how many sessions were ended. */
export type Changed = { at: Date; terminated: number };

/**
 * Freezes (`readOnly`) or unfreezes a project's database on this host's cluster: the project's
 * role gets `default_transaction_read_only = on` (or has it reset), and every session of that
 * role on its database that started before the change is ended, so that each new one (PgBouncer
 * reconnects its server connections) starts with the new setting. pg_dump, which runs as that
 * role, only reads. Idempotent: done twice, the second changes nothing but ends the sessions
 * again. Returns when the setting changed (the server's clock) and how many sessions ended.
 *
 * A session started later with the setting is never ended: only those whose backend started
 * before the change (backend_start), which may still hold the old setting.
 *
 * Every change of a role's freeze holds one lock of this cluster for the role (a transaction's
 * advisory lock) from `unless` to the ALTER ROLE's commit: a check of whether the change is
 * still wanted (the unfreeze of a failed move: is a later move freezing the source now?) sees
 * every freeze committed before it, and none comes between it and the change. When `unless`
 * names a reason, nothing changes and that reason is returned.
 */
export async function setSourceReadOnly(
  config: Pick<Config, "adminDatabaseUrl">,
  target: FreezeTarget,
  readOnly: boolean,
): Promise<Changed>;
export async function setSourceReadOnly(
  config: Pick<Config, "adminDatabaseUrl">,
  target: FreezeTarget,
  readOnly: boolean,
  unless: () => Promise<string | null>,
): Promise<Changed | { skipped: string }>;
export async function setSourceReadOnly(
  config: Pick<Config, "adminDatabaseUrl">,
  target: FreezeTarget,
  readOnly: boolean,
  unless?: () => Promise<string | null>,
): Promise<Changed | { skipped: string }> {
  return withAdminSession(config.adminDatabaseUrl, undefined, async (admin) => {
    const role = admin.escapeIdentifier(target.role);
    for (let attempt = 1; ; attempt++) {
      await admin.query("BEGIN");
      try {
        await admin.query(
          "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended($1, 0))",
          [`coduck:freeze:${target.role}`],
        );
        const skipped = unless ? await unless() : null;
        if (skipped) {
          await admin.query("ROLLBACK");
          return { skipped };
        }
        // The role may change its own settings (ALTER ROLE itself SET …): a transaction of
        // its left open holds the row this one writes, and the change would wait for it for
        // ever, a worker's slot with it. It waits this long; then the role's sessions end
        // (the holder is one of them) and it tries again.
        await admin.query(`SET LOCAL lock_timeout = ${ALTER_LOCK_TIMEOUT_MS}`);
        await admin.query(
          readOnly
            ? `ALTER ROLE ${role} SET default_transaction_read_only = on`
            : `ALTER ROLE ${role} RESET default_transaction_read_only`,
        );
        await admin.query("COMMIT");
        break;
      } catch (error) {
        await admin.query("ROLLBACK").catch(() => {});
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
        if (attempt === ALTER_ATTEMPTS)
          throw new Error(
            `could not change the settings of role ${target.role}: a session of its own kept them locked through ${ALTER_ATTEMPTS} attempts (its sessions were ended after each)`,
          );
        await admin.query(
          `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
            WHERE usename OPERATOR(pg_catalog.=) $1
              AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()`,
          [target.role],
        );
      }
    }
    // A statement of its own, after the ALTER ROLE committed: a backend started
    // after this instant reads the new setting when it starts.
    const { rows } = await admin.query<{ at: Date }>(
      "SELECT pg_catalog.statement_timestamp() AS at",
    );
    const at = rows[0]!.at;
    const end = async () => {
      // The candidates first (a materialized CTE), then pg_terminate_backend on those only.
      const ended = await admin.query<{ pid: number }>(
        `WITH candidates AS MATERIALIZED (
           SELECT pid FROM pg_catalog.pg_stat_activity
            WHERE usename OPERATOR(pg_catalog.=) $1 AND datname OPERATOR(pg_catalog.=) $2
              AND backend_start OPERATOR(pg_catalog.<=) $3
              AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid())
         SELECT pid FROM candidates WHERE pg_catalog.pg_terminate_backend(pid)`,
        [target.role, target.database, at],
      );
      return ended.rowCount ?? 0;
    };
    let terminated = await end();
    await sleep(SECOND_PASS_MS);
    terminated += await end();
    return { at, terminated };
  });
}

/**
 * A move's freeze of its source, as setSourceReadOnly's `unless`: checked and recorded under the
 * role's freeze lock, before the role changes. Only while the move runs: once it failed, its
 * unfreeze is queued or done, and a freeze after it would leave the source read-only for ever.
 * Recorded on the move (sourceFrozenAt) before the change, so that the record never calls
 * writable a source that may refuse writes: once the move failed, a deploy of the project waits
 * until the unfreeze records its end (sourceUnfrozenAt; store/deployment-host.ts). A freeze that
 * then fails leaves the record frozen, which the failed move's unfreeze (idempotent) ends.
 */
export function freezeOfMove(db: Db, moveId: string): () => Promise<string | null> {
  return async () => {
    const { count } = await db.projectMove.updateMany({
      where: { id: moveId, status: "running" },
      data: { sourceFrozenAt: new Date() },
    });
    return count === 1 ? null : `move ${moveId} is no longer running`;
  };
}

/** Whether the role is frozen on this host's cluster (its role setting, as pg_dump leaves it out). */
export async function isRoleReadOnly(
  config: Pick<Config, "adminDatabaseUrl">,
  role: string,
): Promise<boolean> {
  return withAdminSession(config.adminDatabaseUrl, undefined, async (admin) => {
    const { rows } = await admin.query(
      `SELECT 1 FROM pg_catalog.pg_db_role_setting s
         JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
        WHERE r.rolname OPERATOR(pg_catalog.=) $1
          AND 'default_transaction_read_only=on' OPERATOR(pg_catalog.=) ANY (s.setconfig)`,
      [role],
    );
    return rows.length > 0;
  });
}
