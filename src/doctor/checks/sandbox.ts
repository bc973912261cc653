import { sandboxStatus } from "../../exec/sandbox.js";
import { type Check, fail, ok, warn } from "../check.js";

/**
 * Whether app commands will run in the sandbox, by the same detection the worker uses at start:
 * fails where the worker would refuse to start, warns while SANDBOX=off runs app code unsandboxed.
 */
export const sandbox: Check = {
  name: "sandbox",
  async run(ctx) {
    const status = await sandboxStatus(ctx.config.sandbox);
    if (status.active) return ok(status.detail);
    if (ctx.config.sandbox === "off") {
      return warn(
        status.detail,
        "unset SANDBOX (its default is bwrap) so app code runs in bubblewrap; every deployment records that it ran unsandboxed",
      );
    }
    return fail(
      `${status.detail}: the worker refuses to start`,
      "install bubblewrap (apt-get install bubblewrap) and allow user namespaces, or set SANDBOX=off to run app code unsandboxed on purpose",
    );
  },
};
