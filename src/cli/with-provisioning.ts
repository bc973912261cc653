import type { Config } from "../config.js";
import type { ProvisionDeps } from "../provisioning/provision-project.js";
import { loadKeyring } from "../secrets/keyring.js";
import { connectDb } from "../store/prisma.js";

/** Runs a CLI command with what provisioning needs, and closes it afterwards. */
export async function withProvisioning<T>(
  config: Config,
  work: (deps: ProvisionDeps) => Promise<T>,
): Promise<T> {
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  const db = connectDb(config.databaseUrl);
  try {
    return await work({ db, config, keyring });
  } finally {
    await db.$disconnect();
  }
}
