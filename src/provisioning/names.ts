import { createHash } from "node:crypto";

/**
 * The database and role of a project: lowercase `[a-z0-9_]`, well within Postgres' 63-byte
 * identifier limit, and collision-proof (a hash of the full slug) however slugs are cut.
 * The role has the database's name.
 */
export function projectDatabaseName(prefix: string, slug: string): string {
  const readable = slug
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 36);
  const hash = createHash("sha256").update(slug).digest("hex").slice(0, 10);
  return readable ? `${prefix}_${readable}_${hash}` : `${prefix}_${hash}`;
}
