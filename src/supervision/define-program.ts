import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { launchScript } from "./launch-script.js";
import { programConf } from "./program-conf.js";
import { checkProgramSpec, type ProgramSpec } from "./program-spec.js";
import { reloadConfig } from "./reload-config.js";
import { stopAndRemoveGroup } from "./stop-and-remove-group.js";
import type { SupervisorClient } from "./supervisor-client.js";
import { FAULT, isFault } from "./supervisor-fault.js";
import { supervisorPaths } from "./supervisor-paths.js";
import { writePrivateFile } from "./write-private-file.js";

/**
 * Makes the supervisord under `dir` run `spec`: writes `programs/<name>.sh` (0700) and
 * `programs/<name>.conf` (0600) — on disk, so the definition outlives supervisord — then rereads
 * the configuration and adds the group, which starts it (autostart). Idempotent: the same spec
 * again changes nothing; a changed spec replaces the running program (stopped, then started anew).
 */
export async function defineProgram(
  client: SupervisorClient,
  dir: string,
  spec: ProgramSpec,
): Promise<void> {
  checkProgramSpec(spec);
  const paths = supervisorPaths(dir);
  const script = paths.programScript(spec.name);
  const conf = paths.programConf(spec.name);
  // supervisord refuses a log file whose directory does not exist.
  await mkdir(path.dirname(spec.logFile), { recursive: true, mode: 0o700 });
  const scriptChanged = await replaceFile(script, launchScript(spec.command), 0o700);
  const confChanged = await replaceFile(conf, programConf(spec, script), 0o600);

  const { added } = await reloadConfig(client);
  // Not added means active: replace it if this definition differs from the one it runs.
  if (!added.includes(spec.name) && (scriptChanged || confChanged)) {
    await stopAndRemoveGroup(client, spec.name);
  }
  try {
    await client.call("supervisor.addProcessGroup", [spec.name]);
  } catch (error) {
    if (!isFault(error, FAULT.ALREADY_ADDED)) throw error;
  }
}

/** Writes `text` to `file` unless it already holds exactly that; whether it wrote. */
async function replaceFile(file: string, text: string, mode: number): Promise<boolean> {
  const current = await readFile(file, "utf8").catch(() => undefined);
  if (current === text) return false;
  await writePrivateFile(file, text, mode);
  return true;
}
