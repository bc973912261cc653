import type { Db } from "./prisma.js";

/** The last automatic `prisma db push` that worked into a project's database (SchemaPush). */
export type SchemaPushRecord = {
  deploymentId: string;
  inputsHash: string;
  catalogHash: string;
  pushedAt: Date;
};

/** The project's last recorded push, or null when there is none. */
export async function lastSchemaPush(db: Db, projectId: string): Promise<SchemaPushRecord | null> {
  return db.schemaPush.findUnique({
    where: { projectId },
    select: { deploymentId: true, inputsHash: true, catalogHash: true, pushedAt: true },
  });
}

/** Records a push that succeeded and passed the schema gate, replacing the one before. */
export async function recordSchemaPush(
  db: Db,
  projectId: string,
  push: Omit<SchemaPushRecord, "pushedAt">,
): Promise<void> {
  const pushedAt = new Date();
  await db.schemaPush.upsert({
    where: { projectId },
    create: { projectId, ...push, pushedAt },
    update: { ...push, pushedAt },
  });
}

/** Forgets the project's push: something other than the worker's push now owns the schema. */
export async function forgetSchemaPush(db: Db, projectId: string): Promise<void> {
  await db.schemaPush.deleteMany({ where: { projectId } });
}
