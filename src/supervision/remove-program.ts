import { rm } from "node:fs/promises";
import { checkProgramName } from "./program-spec.js";
import { reloadConfig } from "./reload-config.js";
import { stopAndRemoveGroup } from "./stop-and-remove-group.js";
import type { SupervisorClient } from "./supervisor-client.js";
import { supervisorPaths } from "./supervisor-paths.js";

/**
 * Stops the program `name` of the supervisord under `dir` (its whole process group), removes it
 * from supervisord and deletes its files, so it does not come back when supervisord restarts.
 * Idempotent: a program that is absent, stopped or half-removed ends removed all the same. Its log
 * file stays (the caller's).
 */
export async function removeProgram(
  client: SupervisorClient,
  dir: string,
  name: string,
): Promise<void> {
  checkProgramName(name);
  const paths = supervisorPaths(dir);
  await stopAndRemoveGroup(client, name);
  await rm(paths.programConf(name), { force: true });
  await rm(paths.programScript(name), { force: true });
  await reloadConfig(client);
}
