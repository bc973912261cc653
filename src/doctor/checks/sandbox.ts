import { execa } from "execa";
import { type Check, ok, warn } from "../check.js";

/**
 * Whether bubblewrap is installed and can make a sandbox here (user namespaces allowed): the
 * version alone is not enough, so it also runs `true` in a minimal box.
 */
export const sandbox: Check = {
  name: "sandbox",
  async run() {
    const fix =
      "install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces";
    const version = await execa("bwrap", ["--version"], { reject: false, timeout: 5_000 });
    if (version.exitCode !== 0) {
      return warn("bubblewrap (bwrap) is not installed: app commands cannot be sandboxed", fix);
    }
    const probe = await execa(
      "bwrap",
      ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "true"],
      { reject: false, timeout: 5_000 },
    );
    if (probe.exitCode !== 0) {
      const why = (probe.stderr || `exit ${probe.exitCode}`).split("\n")[0];
      return warn(`${version.stdout.trim()} is installed but cannot make a sandbox: ${why}`, fix);
    }
    return ok(`${version.stdout.trim()} makes sandboxes here`);
  },
};
