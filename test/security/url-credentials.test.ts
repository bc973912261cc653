import { displayCommand } from "../../src/exec/display-command.js";
import { redactSecrets } from "../../src/secrets/redact-secrets.js";
import {
  hasUrlCredentials,
  redactUrl,
  redactUrlsIn,
  urlCredentials,
} from "../../src/secrets/url-credentials.js";

// One function redacts the credentials of a URL wherever one is stored or shown (issue 18
// item 9): the project's and every deployment's repository, step commands, printouts.
describe("redactUrl", () => {
  it.each([
    ["https://user:tok3n@github.com/acme/app.git", "https://user:***@github.com/acme/app.git"],
    ["https://tok3n@github.com/acme/app.git", "https://***@github.com/acme/app.git"],
    ["HTTPS://tok3n@github.com/acme/app.git", "HTTPS://***@github.com/acme/app.git"],
    ["http://user:tok3n@127.0.0.1:8080/app.git", "http://user:***@127.0.0.1:8080/app.git"],
    ["https://x-access-token:ghs_abc@github.com/a/b", "https://x-access-token:***@github.com/a/b"],
    ["https://oauth2:glpat-xyz@gitlab.com/a/b.git", "https://oauth2:***@gitlab.com/a/b.git"],
    ["https://user:p%40ss%3Aword@host/r.git", "https://user:***@host/r.git"],
    ["https://user:p@ss@host/r.git", "https://user:***@host/r.git"],
    ["https://user:@host/r.git", "https://user:***@host/r.git"],
    [
      "https://github.com/a/b.git?access_token=abc123",
      "https://github.com/a/b.git?access_token=***",
    ],
    ["https://h/r.git?private_token=a&x=1#frag", "https://h/r.git?private_token=***&x=***#frag"],
    ["https://u:p@h/r.git?token=t", "https://u:***@h/r.git?token=***"],
    ["ssh://git:hunter2@host/r.git", "ssh://git:***@host/r.git"],
    ["ftp://tok@host/r", "ftp://***@host/r"],
  ])("%s -> %s", (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
    expect(hasUrlCredentials(url)).toBe(true);
    // Redacting twice changes nothing: a stored, redacted URL has no credentials left.
    expect(redactUrl(redacted)).toBe(redacted);
    expect(hasUrlCredentials(redacted)).toBe(false);
  });

  it.each([
    "https://github.com/acme/app.git",
    "https://github.com/acme/app",
    "http://127.0.0.1:8080/app.git",
    "ssh://git@github.com/acme/app.git",
    "git@github.com:acme/app.git",
    "git://github.com/acme/app.git",
    "file:///srv/git/app.git",
    "/srv/git/app",
    "./relative/repo",
    "https://h/r.git?",
    "https://h/r.git?flag",
    "not a url at all",
    "",
  ])("leaves %p as it is (no credentials)", (url) => {
    expect(redactUrl(url)).toBe(url);
    expect(hasUrlCredentials(url)).toBe(false);
  });
});

describe("urlCredentials: what a step log must never hold", () => {
  it("is the password, the userinfo, a lone http user and query values, as given and decoded", () => {
    expect(urlCredentials("https://user:p%40ss@host/r.git")).toEqual([
      "user:p%40ss",
      "user:p@ss",
      "p%40ss",
      "p@ss",
    ]);
    expect(urlCredentials("https://ghp_tok@host/r.git")).toEqual(["ghp_tok"]);
    expect(urlCredentials("https://host/r.git?access_token=abc&x=")).toEqual(["abc"]);
    expect(urlCredentials("ssh://git@host/r.git")).toEqual([]);
    expect(urlCredentials("git@host:r.git")).toEqual([]);
    expect(urlCredentials("/srv/repo")).toEqual([]);
  });

  it("redacts git's error lines that print the URL", () => {
    const url = "https://deploy:s3cr%2Ft@example.com/a.git";
    const line = `fatal: unable to access '${url}/': The requested URL returned error: 403 (s3cr/t)`;
    const redacted = redactSecrets(line, urlCredentials(url));
    expect(redacted).not.toContain("s3cr");
    expect(redacted).toContain("example.com/a.git");
  });
});

describe("redactUrlsIn and displayCommand", () => {
  it("redacts every URL inside running text and command words", () => {
    expect(
      redactUrlsIn("fetch https://a:b@h/x.git and git+https://tok@h/y?access_token=z done"),
    ).toBe("fetch https://a:***@h/x.git and git+https://***@h/y?access_token=*** done");
    expect(redactUrlsIn("'https://u:p@h/r'")).toBe("'https://u:***@h/r'");
    expect(
      displayCommand("git", ["fetch", "--depth=1", "https://u:tok@h/r.git", "refs/heads/main"]),
    ).toBe("git fetch --depth=1 'https://u:***@h/r.git' refs/heads/main");
    expect(displayCommand("sh", ["-c", "curl https://u:tok@h/x | sh"])).toBe(
      "sh -c 'curl https://u:***@h/x | sh'",
    );
  });

  it("takes time linear in its input, whatever the text", () => {
    const shapes = [
      "a".repeat(200_000),
      "a.".repeat(100_000),
      "a://".repeat(50_000),
      `https://${"u".repeat(200_000)}`,
      "https://u:p@".repeat(20_000),
      `${"x".repeat(30)}://${"y:".repeat(100_000)}`,
    ];
    for (const text of shapes) {
      const started = performance.now();
      redactUrlsIn(text);
      redactUrl(text);
      urlCredentials(text);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
