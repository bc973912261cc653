import type { Keyring } from "../secrets/keyring.js";
import { seal } from "../secrets/secret-box.js";
import {
  hasUrlCredentials,
  redactUrl,
  redactUrlsIn,
  urlCredentials,
} from "../secrets/url-credentials.js";
import type { Db } from "./prisma.js";

export type SealedCredentials = { projects: number; deployments: number; steps: number };

/**
 * Puts right what was recorded before repository credentials were redacted (run by `migrate`,
 * idempotent): a project's URL with credentials is sealed and stored redacted; deployments'
 * URLs, steps' commands, evidence and log tails, and stored log lines lose those credentials.
 */
export async function sealRepositoryCredentials(
  db: Db,
  keyring: Keyring,
): Promise<SealedCredentials> {
  const found: SealedCredentials = { projects: 0, deployments: 0, steps: 0 };
  const secrets = new Set<string>();
  const projects = await db.project.findMany({
    where: { repoUrl: { contains: "://" } },
    select: { id: true, repoUrl: true, repoUrlEncrypted: true },
  });
  for (const project of projects) {
    const url = project.repoUrl!;
    if (!hasUrlCredentials(url)) continue;
    for (const secret of urlCredentials(url)) secrets.add(secret);
    const sealed = seal(keyring, url);
    await db.project.update({
      where: { id: project.id },
      data: {
        repoUrl: redactUrl(url),
        repoUrlEncrypted: sealed.ciphertext,
        repoUrlKeyVersion: sealed.keyVersion,
      },
    });
    found.projects++;
  }
  const deployments = await db.deployment.findMany({
    where: { repoUrl: { contains: "://" } },
    select: { id: true, repoUrl: true },
  });
  for (const deployment of deployments) {
    if (!hasUrlCredentials(deployment.repoUrl)) continue;
    for (const secret of urlCredentials(deployment.repoUrl)) secrets.add(secret);
    await db.deployment.update({
      where: { id: deployment.id },
      data: { repoUrl: redactUrl(deployment.repoUrl) },
    });
    found.deployments++;
  }
  if (secrets.size === 0) return found;
  // Longest first, so no part of a longer secret is left by a shorter one's replacement.
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const redact = (text: string | null) => {
    if (text === null) return null;
    let clean = redactUrlsIn(text);
    for (const secret of ordered) clean = clean.replaceAll(secret, "[redacted]");
    return clean;
  };
  const steps = await db.deploymentStep.findMany({
    where: {
      OR: ordered.flatMap((secret) => [
        { command: { contains: secret } },
        { evidence: { contains: secret } },
        { logTail: { contains: secret } },
      ]),
    },
    select: { id: true, command: true, evidence: true, logTail: true },
  });
  for (const step of steps) {
    await db.deploymentStep.update({
      where: { id: step.id },
      data: {
        command: redact(step.command),
        evidence: redact(step.evidence),
        logTail: redact(step.logTail),
      },
    });
    found.steps++;
  }
  const chunks = await db.stepLogChunk.findMany({
    where: { OR: ordered.map((secret) => ({ lines: { contains: secret } })) },
    select: { stepId: true, firstSeq: true, lines: true },
  });
  for (const chunk of chunks) {
    await db.stepLogChunk.update({
      where: { stepId_firstSeq: { stepId: chunk.stepId, firstSeq: chunk.firstSeq } },
      data: { lines: redact(chunk.lines)! },
    });
  }
  return found;
}
