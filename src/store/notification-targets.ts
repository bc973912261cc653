import { randomBytes } from "node:crypto";
import type { Keyring } from "../secrets/keyring.js";
import { seal } from "../secrets/secret-box.js";
import type { Db } from "./prisma.js";

export type NotifyChange =
  | { kind: "set"; url: string; rotateSecret: boolean }
  | { kind: "rotate" }
  | { kind: "remove" };

export type NotifyOutcome = {
  url: string | null;
  /** The new signing secret, in clear: returned only when one was made, to be shown once. */
  secret: string | null;
};

/**
 * Sets, rotates or removes a project's notification URL. Setting the first URL makes the
 * project's signing secret; changing the URL keeps it unless rotating. Null when there is no
 * such project; throws when rotating a secret the project does not have.
 */
export async function changeNotificationTarget(
  db: Db,
  keyring: Keyring,
  slug: string,
  change: NotifyChange,
): Promise<NotifyOutcome | null> {
  const project = await db.project.findUnique({
    where: { slug },
    select: { id: true, notificationTarget: true },
  });
  if (!project) return null;
  const existing = project.notificationTarget;
  if (change.kind === "remove") {
    await db.notificationTarget.deleteMany({ where: { projectId: project.id } });
    return { url: null, secret: null };
  }
  if (change.kind === "rotate" && !existing)
    throw new Error(`project ${slug} has no notification URL: set one with --notify-url`);
  const fresh = !existing || change.kind === "rotate" || change.rotateSecret;
  const secret = fresh ? randomBytes(32).toString("hex") : null;
  const sealed = secret ? seal(keyring, secret) : null;
  const url = change.kind === "set" ? change.url : existing!.url;
  await db.notificationTarget.upsert({
    where: { projectId: project.id },
    create: {
      projectId: project.id,
      url,
      secretEncrypted: sealed!.ciphertext,
      keyVersion: sealed!.keyVersion,
    },
    update: {
      url,
      ...(sealed && { secretEncrypted: sealed.ciphertext, keyVersion: sealed.keyVersion }),
    },
  });
  return { url, secret };
}
