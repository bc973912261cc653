import { parseDeployRequest } from "../../src/deploys/deploy-request.js";

const valid = { project: "shop-api", repoUrl: "https://github.com/acme/shop.git", ref: "main" };

function problems(input: Record<string, string>): string[] {
  const parsed = parseDeployRequest({ ...valid, ...input });
  return parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
}

describe("deploy requests", () => {
  it.each(["a", "shop-api", "x1", "a".repeat(63)])("accepts the project slug %s", (project) => {
    expect(problems({ project })).toEqual([]);
  });

  it.each([
    "",
    "Shop",
    "-shop",
    "shop-",
    "shop_api",
    "a".repeat(64),
    "shop'; DROP DATABASE x; --",
    "$$",
    "ünïcode",
    "../etc",
  ])("refuses the project slug %j with the rule", (project) => {
    expect(problems({ project })).toEqual([
      "project: must be 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit",
    ]);
  });

  it.each([
    "https://github.com/acme/shop.git",
    "ssh://git@github.com/acme/shop.git",
    "git@github.com:acme/shop.git",
    "file:///srv/git/shop.git",
    "/srv/git/shop",
  ])("accepts the repository %s", (repoUrl) => {
    expect(problems({ repoUrl })).toEqual([]);
  });

  it.each([
    ["", /must not be empty/],
    ["--upload-pack=touch /tmp/pwned", /must not start with '-'/],
    ["ext::sh -c touch% /tmp/pwned", /must be an https\/http\/ssh\/git\/file URL/],
    ["https://example.com/a\nb", /control characters/],
    ["relative/dir/that/does/not/exist", /must be an https/],
  ])("refuses the repository %j", (repoUrl, message) => {
    expect(problems({ repoUrl })).toEqual([expect.stringMatching(message)]);
  });

  it.each([
    "main",
    "release/2024-01",
    "v1.2.3",
    "0123456789abcdef0123456789abcdef01234567",
    "feature/x",
  ])("accepts the ref %s", (ref) => {
    expect(problems({ ref })).toEqual([]);
  });

  it.each([
    "",
    "-x",
    "--upload-pack=evil",
    "a..b",
    "main;rm -rf /",
    "$(reboot)",
    "a b",
    "x.lock",
    "refs//x",
    "@{-1}",
    ".hidden",
  ])("refuses the ref %j", (ref) => {
    expect(problems({ ref })).toEqual([expect.stringMatching(/^ref: /)]);
  });

  it("makes a local repository path absolute", () => {
    const parsed = parseDeployRequest({ ...valid, repoUrl: "./test" });
    expect(parsed.success && parsed.data.repoUrl).toBe(`${process.cwd()}/test`);
  });
});
