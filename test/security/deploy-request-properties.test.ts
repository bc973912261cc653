import fc from "fast-check";
import { parseDeployRequest } from "../../src/deploys/deploy-request.js";
import { propertyRuns } from "../helpers/property-runs.js";

// Whatever a deploy request carries, parsing ends with a request that is safe in a path, a git
// argument and a database name, or with one message per bad field; never an exception.
const SHELL_OR_OPTION = /[\s$`;|&()<>'"\\*?!#~^:[\]{}]/;
const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 80 }),
  fc.constantFrom(
    "-uhelp",
    "--upload-pack=touch /tmp/pwned",
    "ext::sh -c touch% /tmp/pwned",
    "$(touch /tmp/pwned)",
    "`id`",
    "main;id",
    "a|b",
    "refs/heads/../../etc",
    "x\ny",
    "",
  ),
  fc.mixedCase(fc.stringMatching(/^[a-z0-9-]{1,70}$/)),
);
const anyValue = fc.oneof(hostile, fc.anything({ maxDepth: 1 }));

it("refuses or accepts any request without throwing, and what it accepts is safe", () => {
  fc.assert(
    fc.property(anyValue, anyValue, anyValue, (project, repoUrl, ref) => {
      const parsed = parseDeployRequest({ project, repoUrl, ref });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          expect(["project", "repoUrl", "ref"]).toContain(String(issue.path[0]));
          expect(issue.message.length).toBeGreaterThan(0);
        }
        return;
      }
      const request = parsed.data;
      expect(request.project).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
      expect(request.ref).not.toMatch(/^-/);
      expect(request.ref).not.toMatch(SHELL_OR_OPTION);
      expect(request.ref).not.toContain("..");
      expect(request.repoUrl).not.toMatch(/^-/);
      const control = [...request.repoUrl].filter((c) => c.charCodeAt(0) < 0x20 || c === "\x7f");
      expect(control).toEqual([]);
      expect(request.repoUrl).not.toMatch(/^[a-z]+::/i);
    }),
    propertyRuns(300),
  );
});

it("accepts every well-formed request", () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
      fc.stringMatching(/^[A-Za-z0-9_]{1,12}(?:\/[A-Za-z0-9_]{1,12}){0,2}$/),
      (project, repo, ref) => {
        const parsed = parseDeployRequest({
          project,
          repoUrl: `https://github.com/acme/${repo}.git`,
          ref,
        });
        expect(parsed.success).toBe(true);
      },
    ),
    propertyRuns(200),
  );
});
