import { stripComments } from "./strip-comments.js";

/** A table (and column) by its database name; `schema` null when the model sets no @@schema. */
export type UnreadObject = { schema: string | null; table: string; column?: string };

const MODEL = /^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\{/gm;
const BLOCK_END = /^[ \t]*\}[ \t]*$/m;
const FIELD = /^[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]+(\S.*)$/;
const STRING_ARG = String.raw`\(\s*(?:name\s*:\s*)?"((?:[^"\\]|\\.)*)"`;
const MODEL_MAP = new RegExp(`@@map${STRING_ARG}`);
const MODEL_SCHEMA = new RegExp(`@@schema${STRING_ARG}`);
const MODEL_IGNORE = /@@ignore\b/;
const FIELD_MAP = new RegExp(`(?<!@)@map${STRING_ARG}`);
const FIELD_IGNORE = /(?<!@)@ignore\b/;

/**
 * What Prisma creates for a schema but Prisma Client never reads, so an app cannot fail on it
 * missing: the tables of `@@ignore` models, and the `@ignore` and `Unsupported(…)` fields'
 * columns. Read from the schema text (Prisma's create script has them all).
 */
export function prismaUnreadObjects(schemaText: string): UnreadObject[] {
  const text = stripComments(schemaText);
  const unread: UnreadObject[] = [];
  for (const model of text.matchAll(MODEL)) {
    const start = model.index + model[0].length;
    const end = BLOCK_END.exec(text.slice(start))?.index;
    const body = text.slice(start, end === undefined ? undefined : start + end);
    const schema = MODEL_SCHEMA.exec(body)?.[1] ?? null;
    const table = MODEL_MAP.exec(body)?.[1] ?? model[1]!;
    if (MODEL_IGNORE.test(body)) {
      unread.push({ schema, table });
      continue;
    }
    for (const line of body.split("\n")) {
      const field = FIELD.exec(line);
      if (!field) continue;
      const rest = field[2]!;
      if (!rest.startsWith("Unsupported(") && !FIELD_IGNORE.test(rest)) continue;
      unread.push({ schema, table, column: FIELD_MAP.exec(rest)?.[1] ?? field[1]! });
    }
  }
  return unread;
}
