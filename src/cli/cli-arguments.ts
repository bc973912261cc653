import { z } from "zod";
import { projectSlug } from "../deploys/deploy-request.js";
import { UsageError } from "../errors.js";
import { osUser } from "./os-user.js";

/** A --project slug from the command line, or a clear error. */
export function projectOption(value: string): string {
  const parsed = projectSlug.safeParse(value);
  if (!parsed.success) throw new UsageError(`--project: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** A backup id from the command line, or a clear error. */
export function backupId(raw: string): string {
  if (!z.uuid().safeParse(raw).success)
    throw new UsageError(`not a backup id: ${JSON.stringify(raw)}`);
  return raw;
}

/** Who asked, as recorded on a backup or restore queued from the CLI. */
export function cliRequester(): string {
  const user = osUser();
  return user ? `cli:${user}` : "cli";
}
