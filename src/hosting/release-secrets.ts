import type { Config } from "../config.js";
import { projectCredentials } from "../provisioning/project-credentials.js";
import type { Keyring } from "../secrets/keyring.js";
import { workerSecrets } from "../secrets/worker-secrets.js";
import type { Db } from "../store/prisma.js";
import { variablesForDeploy } from "../store/project-variables.js";

/**
 * What is redacted from a live release's log before any of it is stored (a crash's evidence),
 * as its deploy redacted its step logs: the worker's secrets, the project's database password
 * and its secret variables. Longest first, so no part of a longer one is left behind.
 */
export async function releaseSecrets(
  deps: { db: Db; config: Config; keyring: Keyring },
  project: { id: string; slug: string },
): Promise<string[]> {
  const credentials = await projectCredentials(deps, project.slug);
  const variables = await variablesForDeploy(deps, project.id);
  const own = [
    ...(credentials ? [credentials.password] : []),
    ...variables.filter((v) => v.secret).map((v) => v.value),
  ].flatMap((secret) => [secret, encodeURIComponent(secret)]);
  return [...new Set([...workerSecrets(deps.config), ...own])]
    .filter((secret) => secret.length >= 4)
    .sort((a, b) => b.length - a.length);
}
