import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedDocs, REFRESH_COMMAND, referenceDocs } from "../../scripts/gen-docs.js";
import { CONFIG_VARIABLES } from "../../src/config.js";
import { FAILURE_CODES } from "../../src/failures/codes.js";

// The reference pages are read off the code (the config schema, the failure-code catalogue);
// so is the README's accuracy table (the classifier on the captured corpus). A change to any of
// them that is not followed by a refresh leaves them lying, and fails here.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Top-level await: the accuracy table classifies the corpus (ESM test modules allow it).
const generated = Object.entries(await generatedDocs());

describe("the generated reference docs", () => {
  it.each(generated)("%s is what the generator writes", (file, expected) => {
    let committed = "";
    try {
      committed = readFileSync(path.join(root, file), "utf8");
    } catch {
      // Missing: compared as empty, so the message below says how to make it.
    }
    if (committed !== expected) {
      throw new Error(
        `${file} is out of date with the code it documents: run \`${REFRESH_COMMAND}\` and commit the result`,
      );
    }
  });

  it("name every environment variable and every failure code", () => {
    const docs = referenceDocs();
    for (const name of CONFIG_VARIABLES)
      expect(docs["docs/reference/configuration.md"]).toContain(`| \`${name}\` |`);
    for (const code of Object.keys(FAILURE_CODES))
      expect(docs["docs/reference/failure-codes.md"]).toContain(`\n## ${code}\n`);
    expect(docs["docs/reference/configuration.md"]).toContain(
      "| `DATA_DIR` | `~/.coduck-worker` |",
    );
  });
});
