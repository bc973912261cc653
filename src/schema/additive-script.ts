import type { DatabaseObjects } from "./list-database-objects.js";
import { QUALIFIED, qualifiedName } from "./quoted-name.js";

export type AdditiveScript = {
  /** The statements left to run, with Prisma's `-- Comment` headers. */
  script: string;
  /** Statements that can lose data (dropping or retyping a column, rebuilding an enum). */
  destructive: string[];
};

const DROP_OR_ALTER = new RegExp(String.raw`^(?:DROP TABLE|DROP TYPE|ALTER TABLE)\s+${QUALIFIED}`);
const DESTRUCTIVE = [
  /^DROP\s+(?:TABLE|TYPE|SCHEMA)\b/i,
  /^ALTER\s+TABLE\b[\s\S]*\bDROP\s+COLUMN\b/i,
  // A column's type changes: TYPE after the first ALTER COLUMN (a tempered loop finds that one;
  // `[\s\S]*ALTER COLUMN[\s\S]*TYPE` read the rest again from every ALTER COLUMN).
  /^ALTER\s+TABLE\b(?:(?!\bALTER\s+COLUMN\b)[\s\S])*\bALTER\s+COLUMN\b[\s\S]*\bTYPE\b/i,
  /^ALTER\s+TYPE\b/i,
  /^(?:TRUNCATE|DELETE)\b/i,
];

/**
 * A `prisma migrate diff` script from the live database to the schema, made additive: the
 * statements that drop (or drop constraints of) tables and enums the schema does not declare
 * are removed, and what could still lose data is listed for the caller to refuse.
 * Unqualified names are in `defaultSchema`.
 */
export function additiveScript(
  script: string,
  unknown: DatabaseObjects,
  defaultSchema: string,
): AdditiveScript {
  const keep = new Set([...unknown.tables, ...unknown.enums]);
  const kept: string[] = [];
  const destructive: string[] = [];
  for (const statement of statements(script)) {
    const sql = withoutComments(statement);
    const target = DROP_OR_ALTER.exec(sql);
    if (target && keep.has(qualifiedName(target[1], target[2], defaultSchema))) continue;
    if (DESTRUCTIVE.some((pattern) => pattern.test(sql))) destructive.push(sql);
    kept.push(statement);
  }
  return { script: kept.length > 0 ? `${kept.join(";\n\n")};\n` : "", destructive };
}

/** Prisma ends every statement with `;` at the end of a line and writes no `;` inside one. */
function statements(script: string): string[] {
  return script
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => withoutComments(statement) !== "");
}

function withoutComments(statement: string): string {
  return statement
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .trim();
}
