import { classifyLines } from "./classify-helper.js";

describe("network evidence", () => {
  it("calls registry connection errors during install a retryable NETWORK_ERROR", async () => {
    for (const lines of [
      [
        "npm error code ECONNRESET",
        "npm error network request to https://registry.npmjs.org/express failed, reason: read ECONNRESET",
      ],
      [
        "npm error code EAI_AGAIN",
        "npm error request to https://registry.npmjs.org/pg failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org",
      ],
      [
        " WARN  GET https://registry.npmjs.org/zod error (ETIMEDOUT). Will retry in 10 seconds. 2 retries left.",
        " ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/zod: request to https://registry.npmjs.org/zod failed, reason: connect ETIMEDOUT 104.16.0.35:443",
      ],
    ]) {
      expect(await classifyLines("install", 1, lines)).toMatchObject({
        code: "NETWORK_ERROR",
        retryable: true,
      });
    }
  });

  it("calls the same errors once the app runs an unreachable database", async () => {
    const result = await classifyLines("start", 1, [
      "Error: connect ECONNREFUSED 127.0.0.1:6432",
      "  code: 'ECONNREFUSED',",
    ]);
    expect(result).toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true });
  });

  it("calls a git host that does not resolve a network error, a missing ref a checkout failure", async () => {
    const network = await classifyLines("checkout", 128, [
      "fatal: unable to access 'https://github.com/acme/app.git/': Could not resolve host: github.com",
    ]);
    const ref = await classifyLines("checkout", 128, [
      "fatal: couldn't find remote ref refs/heads/nope",
    ]);
    expect(network.code).toBe("NETWORK_ERROR");
    expect(ref.code).toBe("CHECKOUT_FAILED");
  });

  it("ignores a network retry that later succeeded", async () => {
    const result = await classifyLines("install", 1, [
      "info There appears to be trouble with your network connection. Retrying...",
      "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",
    ]);
    expect(result.code).toBe("LOCKFILE_OUT_OF_SYNC");
  });
});
