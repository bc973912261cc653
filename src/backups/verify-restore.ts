import pg from "pg";
import type { Config } from "../config.js";
import { withAdminSession } from "../provisioning/admin-session.js";
import { inspectLookup, lookupIntact, repairLookup } from "../provisioning/lookup-objects.js";
import type { ProjectCredentials } from "../provisioning/project-credentials.js";
import type { Db } from "../store/prisma.js";
import { liveDeploymentOf } from "../store/releases.js";

export type Verified = { checks: string[]; failure: string | null };

const RELEASE_TIMEOUT_MS = 5_000;

/**
 * What a restored database must still do: PgBouncer's lookup is intact (repaired if the dump
 * somehow touched it), a connection through PgBouncer as the project's role works, and the
 * live release still answers HTTP. Says what it checked; `failure` names the first check that
 * failed.
 */
export async function verifyRestore(
  config: Config,
  db: Db,
  project: ProjectCredentials,
): Promise<Verified> {
  const checks: string[] = [];
  try {
    const repaired = await withAdminSession(
      config.adminDatabaseUrl,
      project.database,
      async (client) => {
        const state = await inspectLookup(client, config.pgbouncer.lookupSchema);
        return lookupIntact(state)
          ? []
          : repairLookup(client, config.pgbouncer.lookupSchema, project.role);
      },
    );
    checks.push(
      repaired.length
        ? `PgBouncer lookup repaired: ${repaired.join(", ")}`
        : "PgBouncer lookup intact",
    );
  } catch (error) {
    return { checks, failure: `the PgBouncer lookup could not be checked: ${message(error)}` };
  }

  const bouncer = new pg.Client({ ...project.pooled, connectionTimeoutMillis: 10_000 });
  try {
    await bouncer.connect();
    await bouncer.query("SELECT 1");
    checks.push(`connected through PgBouncer as ${project.role}`);
  } catch (error) {
    return { checks, failure: `no connection through PgBouncer: ${message(error)}` };
  } finally {
    await bouncer.end().catch(() => {});
  }

  const live = await liveDeploymentOf(db, project.slug);
  if (!live?.releasePort) {
    checks.push("no live release to check");
    return { checks, failure: null };
  }
  // A move restores on its target while the live release still runs on the source host.
  const liveHost = await db.deployment.findUnique({
    where: { id: live.id },
    select: { hostId: true },
  });
  if (liveHost?.hostId && liveHost.hostId !== config.host.id) {
    checks.push(`live release ${live.id} runs on host ${liveHost.hostId}: not checked from here`);
    return { checks, failure: null };
  }
  try {
    const response = await fetch(`http://127.0.0.1:${live.releasePort}/`, {
      signal: AbortSignal.timeout(RELEASE_TIMEOUT_MS),
      redirect: "manual",
    });
    await response.body?.cancel();
    checks.push(`live release ${live.id} answered HTTP ${response.status}`);
    return { checks, failure: null };
  } catch (error) {
    return { checks, failure: `the live release ${live.id} does not answer: ${message(error)}` };
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
