import { randomBytes } from "node:crypto";
import { mkdir, readlink, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";

/**
 * Where a release is published for the router, and how its project's address finds it:
 *
 *   DATA_DIR/routes/d-<deployment id>.sock   the release's own socket (its box launcher's)
 *   DATA_DIR/routes/p-<slug>.sock            a link to the live release's socket
 *
 * Caddy's route for a project dials the project's link and never changes: going live moves
 * the link (rename(2), atomic), so a switch reloads nothing and drops no client connection.
 */
export function routesDir(dataDir: string): string {
  return path.join(dataDir, "routes");
}

export function releaseSocket(dataDir: string, deploymentId: string): string {
  return path.join(routesDir(dataDir), `d-${deploymentId}.sock`);
}

export function projectSocket(dataDir: string, slug: string): string {
  return path.join(routesDir(dataDir), `p-${slug}.sock`);
}

/** Points the project's link at the deployment's socket, in one rename. */
export async function pointProjectAt(dataDir: string, slug: string, deploymentId: string) {
  const dir = routesDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const link = projectSocket(dataDir, slug);
  const target = path.basename(releaseSocket(dataDir, deploymentId));
  if ((await readlink(link).catch(() => null)) === target) return;
  const temporary = path.join(dir, `.p-${slug}.${randomBytes(6).toString("hex")}`);
  await symlink(target, temporary);
  try {
    await rename(temporary, link);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The project's link is removed: its address reaches no release. */
export async function unlinkProject(dataDir: string, slug: string): Promise<void> {
  await rm(projectSocket(dataDir, slug), { force: true });
}
