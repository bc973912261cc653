import type { Keyring } from "../secrets/keyring.js";
import { open } from "../secrets/secret-box.js";
import type { Db } from "./prisma.js";

export type StoredVariable = {
  name: string;
  valueEncrypted: string;
  keyVersion: number;
  secret: boolean;
};

export async function projectIdOf(db: Db, slug: string): Promise<string | null> {
  const found = await db.project.findUnique({ where: { slug }, select: { id: true } });
  return found?.id ?? null;
}

/**
 * Sets (creates or replaces) a project's variables, all or none. A secret stays secret when
 * its value is replaced without saying so again: forgetting `--secret` must not expose it.
 */
export async function setProjectVariables(
  db: Db,
  projectId: string,
  variables: readonly StoredVariable[],
): Promise<void> {
  await db.$transaction(
    variables.map(({ name, valueEncrypted, keyVersion, secret }) =>
      db.projectVariable.upsert({
        where: { projectId_name: { projectId, name } },
        create: { projectId, name, valueEncrypted, keyVersion, secret },
        update: { valueEncrypted, keyVersion, ...(secret && { secret }) },
      }),
    ),
  );
}

export async function listProjectVariables(db: Db, projectId: string) {
  return db.projectVariable.findMany({
    where: { projectId },
    orderBy: { name: "asc" },
    select: { name: true, valueEncrypted: true, keyVersion: true, secret: true, updatedAt: true },
  });
}

/** Removes the named variables; returns how many there were. */
export async function unsetProjectVariables(
  db: Db,
  projectId: string,
  names: readonly string[],
): Promise<number> {
  const { count } = await db.projectVariable.deleteMany({
    where: { projectId, name: { in: [...names] } },
  });
  return count;
}

/** What a deploy injects: every variable's value, and the values to redact from its logs. */
export async function variablesForDeploy(deps: { db: Db; keyring: Keyring }, projectId: string) {
  const stored = await listProjectVariables(deps.db, projectId);
  return stored.map((v) => ({
    name: v.name,
    secret: v.secret,
    value: open(deps.keyring, { ciphertext: v.valueEncrypted, keyVersion: v.keyVersion }),
  }));
}
