import type { AppOwner } from "./hand-over.js";

/**
 * The `setpriv` prefix that runs a command as the project's own uid and gid, with no
 * supplementary groups, no capabilities (inheritable or bounding) and no way to gain any back.
 * Root uses it inside a box, and on the host for the few file operations done as the project.
 */
export function asAppOwner(owner: AppOwner): string[] {
  return [
    "setpriv",
    `--reuid=${owner.uid}`,
    `--regid=${owner.gid}`,
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
  ];
}
