import path from "node:path";

/**
 * Where the worker keeps its caches, all under `DATA_DIR/caches`, root's and 0700 (boxes never
 * see DATA_DIR): a project's own (its installed node_modules per install key, its build caches),
 * keyed by the project's id, never its slug (a slug may be taken again by another project), and
 * the package store every project's install is seeded from (npm's content, by integrity).
 */
export function cacheDirs(dataDir: string) {
  const root = path.join(dataDir, "caches");
  return {
    root,
    projects: path.join(root, "projects"),
    /**
     * The shared package store, public packages only: `content-v2/<algorithm>/<hex…>`, as npm's
     * own cache lays it out. (`packages`, its first place, could hold private packages.)
     */
    packages: path.join(root, "public-packages"),
    project(projectId: string) {
      if (!/^[0-9a-zA-Z-]{1,64}$/.test(projectId))
        throw new Error(`not a project id: ${JSON.stringify(projectId)}`);
      const dir = path.join(root, "projects", projectId);
      return {
        dir,
        /** `<key>/node_modules` and `<key>/inputs.json`; `latest.json` names the newest key. */
        nodeModules: path.join(dir, "node_modules"),
        /** `<name>/…` per cached path, and `build.json` saying what each one is. */
        build: path.join(dir, "build"),
        /** The project's own package store: what is not known public (package-store.ts). */
        packages: path.join(dir, "packages"),
      };
    },
  };
}
