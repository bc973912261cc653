import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { installScriptWarnings } from "../../src/apps/install-script-warnings.js";

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "npm-install-scripts.txt",
);

/** The fixture's captures: each starts at a `#` comment saying how it was captured. */
async function captures(): Promise<string[][]> {
  const sections: string[][] = [];
  for (const line of (await readFile(FIXTURE, "utf8")).split("\n")) {
    if (line.startsWith("# Captured")) sections.push([]);
    else if (!line.startsWith("#") && line !== "") sections.at(-1)?.push(line);
  }
  return sections;
}

const sentence = (pkg: string, script: string) =>
  `${pkg} has an install script (${script}) that package.json "allowScripts" does not cover, so npm skipped it: add it to allowScripts to run it, or deny it`;

describe("installScriptWarnings", () => {
  it("names every package npm 11 reported, in npm's order, from real output", async () => {
    const [three, one, denied] = await captures();
    expect(installScriptWarnings(three!)).toEqual([
      sentence("@parcel/watcher@2.5.1", "install"),
      sentence("esbuild@0.28.2", "postinstall"),
      sentence("msgpackr-extract@3.0.3", "install"),
    ]);
    expect(installScriptWarnings(one!)).toEqual([sentence("esbuild@0.28.2", "postinstall")]);
    // npm does not list a package that allowScripts denies.
    expect(installScriptWarnings(denied!)).toEqual([
      sentence("@parcel/watcher@2.5.1", "install"),
      sentence("esbuild@0.28.2", "postinstall"),
    ]);
  });

  it("reads the block among the install's other output", async () => {
    const [, one] = await captures();
    const lines = ["", "added 2 packages in 2s", ...one!, "npm warn deprecated foo@1.0.0: old"];
    expect(installScriptWarnings(lines)).toEqual([sentence("esbuild@0.28.2", "postinstall")]);
  });

  it("names every script of a package that has several", () => {
    // npm joins them with "; " (lib/utils/reify-output.js).
    const lines = [
      "npm warn install-scripts 1 package has install scripts not yet covered by allowScripts:",
      "npm warn install-scripts   sharp@0.34.5 (preinstall: node check.js; install: node install/check.js)",
    ];
    expect(installScriptWarnings(lines)).toEqual([
      'sharp@0.34.5 has install scripts (preinstall, install) that package.json "allowScripts" does not cover, so npm skipped them: add it to allowScripts to run them, or deny it',
    ]);
  });

  it("ignores package-like lines outside npm's block, and output without one", () => {
    expect(
      installScriptWarnings([
        "npm warn install-scripts   esbuild@0.28.2 (postinstall: node install.js)",
        "added 1 package in 1s",
      ]),
    ).toEqual([]);
    expect(installScriptWarnings([])).toEqual([]);
  });
});
