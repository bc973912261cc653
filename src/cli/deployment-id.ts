import { z } from "zod";
import { UsageError } from "../errors.js";

/** A deployment id from the command line, or a clear error. */
export function deploymentId(raw: string): string {
  if (!z.uuid().safeParse(raw).success)
    throw new UsageError(`not a deployment id: ${JSON.stringify(raw)}`);
  return raw;
}
