import { sandboxStatus } from "../../exec/sandbox.js";
import { type Check, fail, ok, warn } from "../check.js";

/** Whether app commands will run in the sandbox, by the same detection the worker uses at start. */
export const sandbox: Check = {
  name: "sandbox",
  async run(ctx) {
    const status = await sandboxStatus(ctx.config.sandbox);
    if (status.active) return ok(status.detail);
    if (ctx.config.sandbox === "bwrap") {
      return fail(
        status.detail,
        "install bubblewrap (apt-get install bubblewrap), or set SANDBOX=auto",
      );
    }
    return warn(
      status.detail,
      ctx.config.sandbox === "off"
        ? "set SANDBOX=auto so app commands run in bubblewrap"
        : "install bubblewrap (apt-get install bubblewrap) and allow user namespaces",
    );
  },
};
