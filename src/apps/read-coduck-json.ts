import path from "node:path";
import { type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import {
  type CoduckJson,
  coduckJsonSchema,
  RESERVED_VARIABLES,
  RESERVED_VARIABLES_REASON,
} from "./coduck-json.js";
import { readAppFile } from "./read-app-file.js";

export type CoduckJsonProblem = { code: "CONFIG_INVALID" | "RESERVED_ENV"; message: string };

/**
 * Reads and checks the app's coduck.json (absent means all defaults). Every problem is a
 * sentence naming where it is: the line and column of a JSON syntax error, the key of a bad
 * value, a reserved variable.
 */
export async function readCoduckJson(
  appDir: string,
): Promise<{ ok: true; config: CoduckJson } | { ok: false; problem: CoduckJsonProblem }> {
  let text: string;
  try {
    text = await readAppFile(appDir, path.join(appDir, "coduck.json"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ok: true, config: {} };
    if ((error as NodeJS.ErrnoException).code === "EOUTSIDEAPP")
      return invalid(`coduck.json: ${(error as Error).message}`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid(`coduck.json is not valid JSON: ${describeSyntaxError(text)}`);
  }
  const parsed = coduckJsonSchema.safeParse(json);
  if (!parsed.success) {
    const messages = parsed.error.issues.map((issue) => {
      return issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message;
    });
    return invalid(`coduck.json: ${messages.join("; ")}`);
  }
  const reserved = Object.keys(parsed.data.env ?? {}).filter((name) =>
    (RESERVED_VARIABLES as readonly string[]).includes(name),
  );
  if (reserved.length > 0) {
    return {
      ok: false,
      problem: {
        code: "RESERVED_ENV",
        message: `coduck.json env sets ${reserved.join(", ")}: ${reserved.length > 1 ? "these are" : "it is"} ${RESERVED_VARIABLES_REASON}; remove ${reserved.length > 1 ? "them" : "it"}`,
      },
    };
  }
  return { ok: true, config: parsed.data };
}

function invalid(message: string) {
  return { ok: false as const, problem: { code: "CONFIG_INVALID" as const, message } };
}

/** Where the JSON first goes wrong, as a person counts: "line 3, column 3: a property name was expected". */
function describeSyntaxError(text: string): string {
  const errors: ParseError[] = [];
  try {
    parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  } catch (error) {
    // jsonc-parser recurses once per level: `[[[[…` thousands deep exhausts the stack.
    if (error instanceof RangeError) return "arrays or objects are nested too deeply";
    throw error;
  }
  const first = errors[0];
  if (!first) return "it could not be parsed";
  const before = text.slice(0, first.offset);
  const line = before.split("\n").length;
  const column = first.offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}: ${SYNTAX_ERRORS[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error)}`;
}

const SYNTAX_ERRORS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "a property name in double quotes was expected (no trailing commas)",
  ValueExpected: "a value was expected",
  ColonExpected: "':' was expected",
  CommaExpected: "',' was expected",
  CloseBraceExpected: "'}' was expected",
  CloseBracketExpected: "']' was expected",
  EndOfFileExpected: "nothing more was expected",
  InvalidCommentToken: "comments are not allowed",
  UnexpectedEndOfComment: "a comment is not closed",
  UnexpectedEndOfString: "a string is not closed",
  UnexpectedEndOfNumber: "a number is cut short",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
};
