import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { jest } from "@jest/globals";
import fc from "fast-check";
import { launchScript } from "../../src/supervision/launch-script.js";
import { propertyRuns } from "../helpers/property-runs.js";
import { tempDir } from "../helpers/temp-dir.js";

jest.setTimeout(120_000); // a node process per run, on 2 shared cores

// Prints exactly what the exec'd process received.
const DUMP = `process.stdout.write(JSON.stringify({ args: process.argv.slice(2), env: process.env }));`;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Tenant text: any code point but NUL (no process can receive it), salted with what breaks
// quoting in sh, in supervisord's %-expansion and in INI files.
const hostile = fc.constantFrom(
  "'",
  "'\\''",
  '"',
  "\\",
  "\n",
  "\r\n",
  "%",
  "%(here)s",
  "$",
  "$(id)",
  "$HOME",
  "`id`",
  ";",
  " ; comment",
  "#",
  "*",
  "-",
  "--",
  "=",
  " ",
  "\t",
  "é",
  "🦆",
);
const tenantText = fc
  .array(fc.oneof(hostile, fc.string({ unit: "binary", maxLength: 8 })), { maxLength: 6 })
  .map((parts) => parts.join("").replace(/\0/g, "").replace(LONE_SURROGATE, ""));

describe("launchScript", () => {
  it("execs the file with exactly the given arguments and exactly the given environment", async () => {
    const dir = await tempDir("coduck-launch-");
    const dump = path.join(dir, "dump.cjs");
    await writeFile(dump, DUMP);
    const script = path.join(dir, "launch.sh");
    await fc.assert(
      fc.asyncProperty(
        fc.array(tenantText, { maxLength: 5 }),
        fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/), tenantText, {
          maxKeys: 4,
        }),
        async (args, env) => {
          const command = { file: process.execPath, args: [dump, ...args], cwd: dir, env };
          await writeFile(script, launchScript(command));
          // As supervisord runs it: /bin/sh <script>, from a process with its own environment.
          const output = execFileSync("/bin/sh", [script], {
            cwd: dir,
            env: { LEAKED: "from supervisord" },
          });
          expect(JSON.parse(output.toString("utf8"))).toEqual({ args, env: { ...env } });
        },
      ),
      propertyRuns(60),
    );
  });
});
