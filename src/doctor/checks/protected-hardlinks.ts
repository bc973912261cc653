import { readFile } from "node:fs/promises";
import { type Check, fail, ok, warn } from "../check.js";

const SETTING = "/proc/sys/fs/protected_hardlinks";

/**
 * The kernel refuses to hard-link a file the linking user does not own (fs.protected_hardlinks
 * = 1, Debian's default). The worker relies on it: otherwise app code could hard-link a root
 * file (the secrets key) into its release, and the worker, reading or chowning "the app's"
 * file, would read or give away root's. See exec/hand-over.ts and apps/open-inside-app.ts.
 */
export const protectedHardlinks: Check = {
  name: "hardlinks",
  async run(ctx) {
    if (ctx.config.sandbox === "off")
      return ok("not needed: SANDBOX=off runs app code as the worker's own user");
    const value = await readFile(SETTING, "utf8").then(
      (text) => text.trim(),
      () => null,
    );
    const fix = "set fs.protected_hardlinks = 1 (sysctl -w, and in /etc/sysctl.d/ to keep it)";
    if (value === null) return warn(`${SETTING} could not be read: protection unknown`, fix);
    if (value !== "1")
      return fail(
        `fs.protected_hardlinks is ${value}: app code can hard-link files of root's into its release`,
        fix,
      );
    return ok("fs.protected_hardlinks = 1: app code cannot hard-link files it does not own");
  },
};
