import { createRequire } from "node:module";
import { execa } from "execa";
import type { Config } from "../config.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { loadKeyring } from "../secrets/keyring.js";
import { ensureDatabase } from "../store/ensure-database.js";
import { connectDb } from "../store/prisma.js";
import { sealRepositoryCredentials } from "../store/seal-repository-credentials.js";

/** `coduck-worker migrate`: creates the worker's database if missing and applies migrations. */
export async function migrate(config: Config, out: NodeJS.WritableStream): Promise<void> {
  const created = await ensureDatabase(config.databaseUrl);
  if (created === "created") out.write("created the worker's database\n");
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const result = await execa(process.execPath, [prismaCli, "migrate", "deploy"], {
    cwd: PACKAGE_ROOT,
    env: {
      DATABASE_URL: config.databaseUrl,
      CHECKPOINT_DISABLE: "1",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
    reject: false,
    all: true,
  });
  if (result.exitCode !== 0) {
    throw new Error(`prisma migrate deploy failed:\n${result.all}`);
  }
  const applied = result.all.match(/following migration\(s\) have been applied/)
    ? "applied"
    : "up to date";
  out.write(`worker database migrations ${applied}\n`);
  await sealOldRepositoryCredentials(config, out);
}

/** Rows recorded before repository credentials were sealed and redacted: put right once. */
async function sealOldRepositoryCredentials(config: Config, out: NodeJS.WritableStream) {
  const keyring = await loadKeyring(config.secretsKey, config.dataDir);
  const db = connectDb(config.databaseUrl);
  try {
    const sealed = await sealRepositoryCredentials(db, keyring);
    if (sealed.projects + sealed.deployments + sealed.steps > 0) {
      out.write(
        `repository credentials sealed and redacted: ${sealed.projects} project(s), ${sealed.deployments} deployment(s), ${sealed.steps} step(s)\n`,
      );
    }
  } finally {
    await db.$disconnect();
  }
}
