import os from "node:os";

/** Who runs the CLI, recorded as who asked for what it does; null when the system cannot say. */
export function osUser(): string | null {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? null;
  }
}
