import { statfs } from "node:fs/promises";
import path from "node:path";
import { type Check, fail, ok, warn } from "../check.js";

const GIB = 1024 ** 3;
/** Below this a single install (node_modules) may not fit. */
const FAIL_BELOW = 1 * GIB;
const WARN_BELOW = 5 * GIB;

/** Free space where release directories are made (DATA_DIR/releases, or the nearest parent that exists). */
export const releaseDisk: Check = {
  name: "disk",
  async run(ctx) {
    const releases = path.join(ctx.config.dataDir, "releases");
    const { dir, stats } = await nearestStatfs(releases);
    const free = stats.bavail * stats.bsize;
    const total = stats.blocks * stats.bsize;
    const said = `${gib(free)} free of ${gib(total)} at ${dir}`;
    const fix = "free space, or lower KEEP_RELEASES and run `coduck-worker housekeeping run`";
    if (free < FAIL_BELOW) return fail(`${said}: too little for an install`, fix);
    if (free < WARN_BELOW) return warn(`${said}: running low`, fix);
    return ok(`${said} (release directories)`);
  },
};

async function nearestStatfs(dir: string) {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      return { dir: at, stats: await statfs(at) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || at === path.dirname(at))
        throw error;
    }
  }
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}
