/** A Postgres identifier as Prisma's scripts write it: `"name"`, with `""` for a quote. */
export const QUOTED = `"((?:[^"]|"")+)"`;

/** An optionally schema-qualified quoted name: `"schema"."name"` or `"name"`. */
export const QUALIFIED = String.raw`(?:${QUOTED}\.)?${QUOTED}`;

/** `schema.name` from a match of QUALIFIED, an unqualified name taken to be in `defaultSchema`. */
export function qualifiedName(
  schema: string | undefined,
  name: string | undefined,
  defaultSchema: string,
): string {
  return `${unquote(schema ?? defaultSchema)}.${unquote(name ?? "")}`;
}

function unquote(identifier: string): string {
  return identifier.replaceAll('""', '"');
}
