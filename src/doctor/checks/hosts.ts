import { describeHostState, listHosts, unplacedProjects } from "../../store/hosts.js";
import { type Check, ok, warn } from "../check.js";

const SHOWN = 5;

/**
 * The installation's hosts (issue 24), as store/hosts.ts reports them: a host that is down keeps
 * its projects' jobs waiting (they never run elsewhere), and a project with no host (from before
 * hosts, when several were registered before a sole worker could adopt it) cannot be queued.
 */
export const hosts: Check = {
  name: "hosts",
  async run(ctx) {
    const { id: self, downAfterMs } = ctx.config.host;
    const [all, unplaced] = await ctx.withPostgres(ctx.config.databaseUrl, async (client) => [
      await listHosts(client, downAfterMs),
      await unplacedProjects(client),
    ]);
    const problems: string[] = [];
    const fixes: string[] = [];
    const down = all.filter((h) => h.state === "down");
    if (down.length > 0) {
      problems.push(
        down
          .map(
            (h) =>
              `host ${h.id} is ${describeHostState(h)}: the deploys, backups and restores of its ${h.projects} project(s) wait for it`,
          )
          .join("; "),
      );
      fixes.push(
        "start its worker again (coduck-worker start there), or move its projects to a host that is up (coduck-worker projects move <slug> --to <host> --confirm <slug>; a move needs the source host up)",
      );
    }
    if (unplaced.length > 0) {
      const named = `${unplaced.slice(0, SHOWN).join(", ")}${unplaced.length > SHOWN ? `, and ${unplaced.length - SHOWN} more` : ""}`;
      problems.push(
        `${unplaced.length} project(s) have no host (${named}): nothing can be queued for them`,
      );
      fixes.push(
        "deploy each once (coduck-worker deploy --project <slug> …): the deploy places it on the least-loaded host that is up",
      );
    }
    if (!all.some((h) => h.id === self))
      problems.push(`this machine's HOST_ID ${self} is not registered: no worker has started here`);
    if (problems.length > 0)
      return warn(
        problems.join("; "),
        fixes.join("; ") || "start the worker here: coduck-worker start",
      );
    const draining = all.filter((h) => h.state === "draining").map((h) => h.id);
    return ok(
      `${all.length} host(s) up${draining.length > 0 ? ` (draining: ${draining.join(", ")})` : ""}; this machine is ${self}; every project has a host`,
    );
  },
};
