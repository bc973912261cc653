import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzlePushRefusal } from "../../src/schema/drizzle-push-refusal.js";
import { classifyLines } from "../failures/classify-helper.js";

// Captured with drizzle-kit 0.31.11 against a real Postgres: `drizzle-kit push` after dropping
// a column that holds a row, without a terminal (as the worker runs it) and answered
// "No, abort" in one (script(1)). Both exit 0.
const LOGS = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/drizzle-kit");
const lines = (name: string) => readFileSync(path.join(LOGS, name), "utf8").split("\n");

describe("a drizzle-kit push that applied nothing", () => {
  it("is found in both captured forms, with the data-loss statements as evidence", () => {
    for (const log of ["push-data-loss-no-tty.log", "push-data-loss-aborted.log"]) {
      expect([log, drizzlePushRefusal(lines(log))]).toEqual([
        log,
        {
          kind: "data-loss",
          evidence: ["· You're about to delete title column in notes table with 1 items"],
        },
      ]);
    }
  });

  it("is a prompt it could not answer when it lists no data loss", () => {
    expect(
      drizzlePushRefusal([
        "Is title column in notes table created or renamed from another column?",
        "Error: Interactive prompts require a TTY terminal (process.stdin.isTTY or process.stdout.isTTY is false).",
      ]),
    ).toMatchObject({ kind: "prompt" });
  });

  it("is not a push that applied its changes", () => {
    expect(
      drizzlePushRefusal([
        "Using 'pg' driver for database querying",
        "[✓] Pulling schema from database...",
        "[✓] Changes applied",
      ]),
    ).toBeNull();
  });

  it("reads as DESTRUCTIVE_CHANGE_BLOCKED with drizzle's own fix when the log is classified", async () => {
    const result = await classifyLines("schema", 1, lines("push-data-loss-aborted.log"));
    expect(result).toMatchObject({
      code: "DESTRUCTIVE_CHANGE_BLOCKED",
      variant: "drizzle-kit-push",
    });
    expect(result.hint).toMatch(/drizzle-kit migrate/);
  });
});
