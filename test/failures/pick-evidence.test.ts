import { pickEvidence } from "../../src/failures/pick-evidence.js";

describe("pickEvidence", () => {
  it("takes git's first fatal line, not its advice", () => {
    expect(
      pickEvidence([
        "fatal: '/srv/x' does not appear to be a git repository",
        "fatal: Could not read from remote repository.",
        "",
        "Please make sure you have the correct access rights",
        "and the repository exists.",
      ]),
    ).toBe("fatal: '/srv/x' does not appear to be a git repository");
  });

  it("skips npm's bare code line for the sentence that explains", () => {
    expect(
      pickEvidence([
        "npm error code EUSAGE",
        "npm error",
        "npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.",
        "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log",
      ]),
    ).toBe(
      "npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.",
    );
  });

  it("prefers the last error over an earlier harmless one", () => {
    expect(
      pickEvidence([
        "error: retrying fetch",
        "fetched",
        "TypeError: x is not a function",
        "    at main (/app/a.js:1:1)",
      ]),
    ).toBe("TypeError: x is not a function");
  });

  it("falls back to the last non-empty line", () => {
    expect(pickEvidence(["building", "done?", ""])).toBe("done?");
    expect(pickEvidence([])).toBeUndefined();
  });
});
