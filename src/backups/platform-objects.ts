/**
 * Which entries of a `pg_restore -l` listing are the platform's, not the project's: the
 * PgBouncer lookup function (owned by the admin, recreated by provisioning) with its comments
 * and grants, and the lookup schema itself. A dump without them restores as the project's role
 * over a database that keeps them.
 *
 * A listing line reads `<dump id>; <table oid> <oid> <kind> <schema> <name> <owner>`, where an
 * object without a schema (a schema, say) has `-`; comments and grants name the object they are
 * about after their kind: `COMMENT public FUNCTION user_lookup(…)`.
 */
export function isPlatformEntry(line: string, lookupSchema: string): boolean {
  const entry = /^\d+;\s+\d+\s+\d+\s+(.*)$/.exec(line.trim());
  if (!entry) return false;
  const words = entry[1]!.split(/\s+/);
  const [kind, schema] = words;
  const rest = words.slice(2).join(" ");
  const isLookupFunction = (text: string) => text.startsWith("user_lookup(");
  if (kind === "SCHEMA") return rest.split(" ")[0] === lookupSchema;
  if (kind === "FUNCTION") return schema === lookupSchema && isLookupFunction(rest);
  if (kind === "COMMENT" || kind === "ACL") {
    if (rest.startsWith("SCHEMA ")) return rest.split(" ")[1] === lookupSchema;
    if (rest.startsWith("FUNCTION "))
      return schema === lookupSchema && isLookupFunction(rest.slice("FUNCTION ".length));
  }
  return false;
}

/** A `pg_restore -L` list of everything in the listing but the platform's entries. */
export function projectEntries(listing: string, lookupSchema: string): string {
  return listing
    .split("\n")
    .filter((line) => !isPlatformEntry(line, lookupSchema))
    .join("\n");
}
