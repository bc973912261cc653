import { stripComments } from "./strip-comments.js";

/** A table (and column) by its database name; `schema` null when the model sets no @@schema. */
export type UnreadObject = { schema: string | null; table: string; column?: string };

const MODEL = /^[ \t]*model[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\{/gm;
const BLOCK_END = /^[ \t]*\}[ \t]*$/m;
// BLOCK_END right where a model's header ends (sticky: tried there only).
const CLOSES_AT = /[ \t]*\}[ \t]*$/my;
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
  const models = [...text.matchAll(MODEL)];
  // A body ends at its `}` line, or where the next model begins if that comes first (a schema
  // that does not validate): bodies never overlap, and each `}` is looked for once.
  const blockEnd = new RegExp(BLOCK_END.source, "gm");
  let end = -1;
  models.forEach((model, index) => {
    const start = model.index + model[0].length;
    let bodyEnd = start;
    // `model A { }`: the `}` closes the header's own line.
    CLOSES_AT.lastIndex = start;
    if (!CLOSES_AT.test(text)) {
      if (end !== Number.POSITIVE_INFINITY && end < start) {
        blockEnd.lastIndex = start;
        end = blockEnd.exec(text)?.index ?? Number.POSITIVE_INFINITY;
      }
      bodyEnd = Math.min(end, models[index + 1]?.index ?? text.length);
    }
    const body = text.slice(start, bodyEnd);
    const schema = MODEL_SCHEMA.exec(body)?.[1] ?? null;
    const table = MODEL_MAP.exec(body)?.[1] ?? model[1]!;
    if (MODEL_IGNORE.test(body)) {
      unread.push({ schema, table });
      return;
    }
    for (const line of body.split("\n")) {
      const field = FIELD.exec(line);
      if (!field) continue;
      const rest = field[2]!;
      if (!rest.startsWith("Unsupported(") && !FIELD_IGNORE.test(rest)) continue;
      unread.push({ schema, table, column: FIELD_MAP.exec(rest)?.[1] ?? field[1]! });
    }
  });
  return unread;
}
