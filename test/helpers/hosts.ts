import type { Db } from "../../src/store/prisma.js";

/**
 * Hosts `ids` registered as up (a heartbeat now) with room for 100 projects, without their
 * workers: tests of moves and drains that run one worker, or none, and need the others' rows.
 * A host registered already (the stack's own) gets a fresh heartbeat.
 */
export async function registerHosts(db: Db, ids: readonly string[]): Promise<void> {
  for (const id of ids)
    await db.host.upsert({
      where: { id },
      create: {
        id,
        address: `10.0.0.${id.replace(/\D/g, "") || "9"}:8080`,
        maxProjects: 100,
        heartbeatAt: new Date(),
      },
      update: { heartbeatAt: new Date() },
    });
}
